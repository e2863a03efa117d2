// The torchlint extension: starts `torchlint server` over stdio for Python files, notebooks and
// Markdown, maps the `torchlint.*` settings to the server's, and adds commands and a status-bar item.
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, State } from "vscode-languageclient/node";
import { Discovery, ServerCommand, discover } from "./discovery";
import { serverSettings } from "./settings";

const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append("torchlint");
const INSTALL_HINT =
  "torchlint was not found. Install it in your project's environment with `pip install torchlint` " +
  "(and select that interpreter in the Python extension), or set `torchlint.path` to the torchlint executable.";

let client: LanguageClient | undefined;
let server: ServerCommand | undefined;
let log: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;
let restarting: Promise<void> = Promise.resolve();

function showStatus(icon: string, tooltip: string): void {
  status.text = `${icon} torchlint`;
  status.tooltip = tooltip;
  status.show();
}

function clientOptions(): LanguageClientOptions {
  return {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
      { scheme: "file", language: "markdown" },
      { notebook: "*", language: "python" },
    ],
    outputChannel: log,
    middleware: {
      workspace: {
        // The server reads the `torchlint` section; it gets only the keys it knows.
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) {
            return answer;
          }
          return params.items.map((item, index) =>
            item.section === "torchlint"
              ? serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : answer[index],
          );
        },
      },
    },
  };
}

async function start(): Promise<void> {
  showStatus("$(loading~spin)", "torchlint: looking for the server");
  const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource) : undefined;
  const cwd = (folder ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath ?? os.homedir();
  const discovery: Discovery = await discover(resource, cwd, log);
  for (const line of discovery.tried) {
    log.info(`not used: ${line}`);
  }
  server = discovery.found;
  if (!server) {
    showStatus("$(error)", "torchlint: not found; see the output");
    log.error(INSTALL_HINT);
    const choice = await vscode.window.showErrorMessage(INSTALL_HINT, "Open Settings", "Show Output");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "torchlint.path");
    } else if (choice === "Show Output") {
      log.show();
    }
    return;
  }
  log.info(`starting torchlint ${server.version} from ${server.source}: ${[server.command, ...server.args, "server"].join(" ")}`);
  const run = {
    command: server.command,
    args: [...server.args, "server"],
    options: { cwd: server.cwd },
  }; // stdio, with no `--stdio` argument (which a TransportKind would add)
  const serverOptions: ServerOptions = { run, debug: run };
  const started = new LanguageClient("torchlint", "torchlint", serverOptions, clientOptions());
  const where = `${server.version} from ${server.source}`;
  started.onDidChangeState((event) => {
    if (event.newState === State.Running) {
      showStatus("$(check)", `torchlint ${where}: running`);
    } else if (event.newState === State.Starting) {
      showStatus("$(loading~spin)", `torchlint ${where}: starting`);
    } else {
      showStatus("$(error)", `torchlint ${where}: stopped; see the output`);
    }
  });
  client = started;
  try {
    await started.start();
  } catch (error) {
    log.error(`torchlint server failed to start: ${error}`);
    showStatus("$(error)", "torchlint: the server failed to start; see the output");
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop();
    } catch (error) {
      log.warn(`stopping the server: ${error}`);
    }
  }
}

function restart(): Promise<void> {
  restarting = restarting.then(async () => {
    await stop();
    await start();
  });
  return restarting;
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      document.uri,
      whole,
      FIX_ALL_KIND.value,
    )) ?? [];
  const fix = actions.find((action) => action.kind && FIX_ALL_KIND.contains(action.kind) && action.edit);
  if (!fix?.edit) {
    vscode.window.showInformationMessage("torchlint: nothing to fix automatically in this file.");
    return;
  }
  await vscode.workspace.applyEdit(fix.edit);
}

function runShapes(command: ServerCommand, file: string, cwd: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command.command, [...command.args, "shapes", file], { cwd, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(String(stderr).trim() || error.message));
      } else {
        resolve(String(stdout));
      }
    });
  });
}

async function showShapes(): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (!document || document.languageId !== "python") {
    vscode.window.showInformationMessage("torchlint: open a Python file to see its inferred shapes.");
    return;
  }
  if (!server) {
    vscode.window.showErrorMessage(INSTALL_HINT);
    return;
  }
  let file = document.uri.fsPath;
  if (document.isDirty || document.uri.scheme !== "file") {
    // What is on screen, not what is on disk.
    const folder = await mkdtemp(path.join(os.tmpdir(), "torchlint-shapes-"));
    file = path.join(folder, path.basename(document.uri.path) || "untitled.py");
    await writeFile(file, document.getText(), "utf8");
  }
  const cwd = server.cwd;
  try {
    const annotated = await runShapes(server, file, cwd);
    const shown = await vscode.workspace.openTextDocument({ language: "python", content: annotated });
    await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  } catch (error) {
    log.error(`torchlint shapes ${file}: ${error}`);
    vscode.window.showErrorMessage(`torchlint shapes failed: ${error instanceof Error ? error.message : error}`);
  }
}

async function watchPythonInterpreter(context: vscode.ExtensionContext): Promise<void> {
  if (!vscode.extensions.getExtension("ms-python.python")) {
    return;
  }
  try {
    const { PythonExtension } = await import("@vscode/python-extension");
    const api = await PythonExtension.api();
    context.subscriptions.push(api.environments.onDidChangeActiveEnvironmentPath(() => restart()));
  } catch (error) {
    log.warn(`not following the Python extension's interpreter: ${error}`);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  log = vscode.window.createOutputChannel("torchlint", { log: true });
  status = vscode.window.createStatusBarItem("torchlint.status", vscode.StatusBarAlignment.Right, 100);
  status.name = "torchlint";
  status.command = "torchlint.showOutput";
  context.subscriptions.push(
    log,
    status,
    vscode.commands.registerCommand("torchlint.restart", restart),
    vscode.commands.registerCommand("torchlint.fixAll", fixAll),
    vscode.commands.registerCommand("torchlint.showShapes", showShapes),
    vscode.commands.registerCommand("torchlint.showOutput", () => log.show()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("torchlint.path")) {
        restart();
      }
    }),
  );
  await watchPythonInterpreter(context);
  await restart();
}

export function deactivate(): Promise<void> {
  return stop();
}

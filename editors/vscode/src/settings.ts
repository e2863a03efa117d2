// The `torchlint.*` settings as the server reads them (`workspace/configuration`): only the keys it
// knows, each left out while it has its default, so that pyproject.toml decides.
import * as vscode from "vscode";

export function serverSettings(scope: vscode.ConfigurationScope | undefined): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("torchlint", scope);
  const settings: Record<string, unknown> = {
    debounceMs: config.get<number>("debounceMs", 300),
    inlayHints: config.get<boolean>("inlayHints", true),
    ignore: config.get<string[]>("ignore", []),
  };
  const select = config.get<string[] | null>("select", null);
  if (select !== null && select !== undefined) {
    settings.select = select;
  }
  const extendSelect = config.get<string[]>("extendSelect", []);
  if (extendSelect.length > 0) {
    settings.extendSelect = extendSelect;
  }
  const snippetMode = config.get<boolean | null>("snippetMode", null);
  if (snippetMode !== null && snippetMode !== undefined) {
    settings.snippetMode = snippetMode;
  }
  return settings;
}

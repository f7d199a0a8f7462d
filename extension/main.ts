import * as vscode from 'vscode';
import { COMMANDS } from './commands';
import { ContainersTree } from './containersTree';
import { Ctx } from './ctx';
import { LAN_COMMANDS } from './lanCommands';
import { editorOfferDeps, PortsOffer } from './portsOffer';
import { SCAFFOLD_COMMANDS } from './scaffoldCommands';
import { StatusBar } from './statusBar';

/** What activate() returns: the models the UI renders, for the integration tests. */
export interface ContainerHttpsApi {
  ctx: Ctx;
  tree: ContainersTree;
  statusBar: StatusBar;
}

// Only wiring here. Connecting to (or starting) the daemon happens after activation returns,
// so nothing slow sits on the activation path.
export function activate(extension: vscode.ExtensionContext): ContainerHttpsApi {
  const ctx = new Ctx(extension);
  extension.subscriptions.push(ctx);
  const tree = new ContainersTree(ctx);
  const statusBar = new StatusBar(ctx);
  ctx.push(tree, statusBar, new PortsOffer(ctx.state, editorOfferDeps(ctx)));
  for (const [id, factory] of Object.entries({ ...COMMANDS, ...SCAFFOLD_COMMANDS, ...LAN_COMMANDS })) {
    ctx.push(vscode.commands.registerCommand(id, factory(ctx, tree)));
  }
  void ctx.connect();
  return { ctx, tree, statusBar };
}

export function deactivate(): void {
  // The daemon is shared by every window and serves the user's routes: it keeps running.
}

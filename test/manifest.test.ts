import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './support/env';

interface MenuEntry {
  command: string;
  when?: string;
}

// A shared route's row is `route.<source>.lan` (extension/treeModel.ts): a menu entry written for
// route rows before LAN sharing existed silently vanished from shared rows.
test('every context-menu entry of a route row is also on the same row when it is shared on the LAN', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const entries: MenuEntry[] = manifest.contributes.menus['view/item/context'];
  const missing: string[] = [];
  for (const entry of entries) {
    const m = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(entry.when ?? '');
    if (!m) continue;
    const rows = new RegExp(m[1]);
    for (const source of ['user', 'label', 'file', 'auto', 'demo'])
      if (rows.test(`route.${source}`) && !rows.test(`route.${source}.lan`))
        missing.push(`${entry.command} (route.${source})`);
  }
  assert.deepEqual(missing, []);
});

/**
 * A page on one line, as minified pages come, and how the Inspector's detail pane shows it: the
 * unit test (bodyText.test.ts) and the workbench test (test/e2e/uiInspector.mjs, which has a
 * container serve it) check the same text. No single quote: the container writes it with echo.
 */
export const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>Shop</title></head><body><div class="a"><p>Hello <b>you</b></p><ul><li>one</li><li>two</li></ul></div></body></html>';

export const HTML_PAGE_SHOWN = [
  '<!DOCTYPE html>',
  '<html>',
  '<head>',
  '  <title>Shop</title>',
  '</head>',
  '<body>',
  '  <div class="a">',
  '    <p>Hello <b>you</b></p>',
  '    <ul>',
  '      <li>one</li>',
  '      <li>two</li>',
  '    </ul>',
  '  </div>',
  '</body>',
  '</html>',
].join('\n');

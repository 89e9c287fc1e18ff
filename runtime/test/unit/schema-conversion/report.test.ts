// The assessment: counts per object kind, issues in kind order, and the Markdown and HTML renderings with every value
// escaped (an object named like markup stays text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssessmentBuilder } from '../../../src/schema-conversion/assessment.ts';
import { assessmentHtml, assessmentMarkdown } from '../../../src/schema-conversion/report.ts';

test('assessment counts, order and escaped renderings', () => {
  const b = new AssessmentBuilder();
  b.manual('trigger', 'shop.orders.<script>alert(1)</script>', 'body is "MySQL" & not converted', 'rewrite | by hand');
  b.auto('table', 'shop.orders', 'shop.orders');
  b.warn('column type', 'shop.orders.total', 'decimal', 'check');
  b.auto('column type', 'shop.orders.id');
  const a = b.build({ engine: 'mariadb', serverVersion: '10.11' }, 'postgres');
  assert.deepEqual(a.summary.filter((s) => s.total > 0).map((s) => [s.kind, s.total, s.auto, s.warning, s.manual]), [
    ['table', 1, 1, 0, 0], ['column type', 2, 1, 1, 0], ['trigger', 1, 0, 0, 1],
  ]);
  assert.deepEqual(a.issues.map((i) => i.kind), ['column type', 'trigger']);
  assert.equal(a.summary.length, 11);
  const html = assessmentHtml(a, 'demo <b>');
  assert.doesNotMatch(html, /<script>|<b>/);
  assert.match(html, /<code>shop\.orders\.&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/code><\/td><td>body is &quot;MySQL&quot; &amp; not converted<\/td><td>rewrite \| by hand<\/td>/);
  const md = assessmentMarkdown(a, 'demo');
  assert.match(md, /^\| trigger \| 1 \| 0 \| 0 \| 1 \|$/m);
  assert.match(md, /^\| trigger \| shop\.orders\.&lt;script&gt;alert\(1\)&lt;\/script&gt; \| body is "MySQL" & not converted \| rewrite \\\| by hand \|$/m);
});

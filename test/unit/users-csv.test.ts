import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsv } from '../../src/ops/csv.ts';
import { formatSize, parseSize } from '../../src/ops/quota.ts';
import { BatchError, readUsersCsv } from '../../src/ops/users-csv.ts';

describe('users CSV', () => {
  it('parses quotes, CRLF, a BOM and blank lines, keeping each record\'s line', () => {
    const records = parseCsv('\ufeffusername,password,group\r\n\r\nalice,"pa,ss ""x""",a\n"bob","multi\nline",b\n');
    assert.deepEqual(records, [
      { line: 1, fields: ['username', 'password', 'group'] },
      { line: 3, fields: ['alice', 'pa,ss "x"', 'a'] },
      { line: 4, fields: ['bob', 'multi\nline', 'b'] },
    ]);
    assert.throws(() => parseCsv('a,b\n"open,c\n'), /line 2: a quoted field is not closed/);
  });

  it('checks every row and names each bad line; columns in any order', () => {
    const users = readUsersCsv('group,username,password,admin,quota_hard\nphys;chem,alice,Alice-pw-1,yes,2G\n', '/home');
    assert.deepEqual(users[0], { line: 2, username: 'alice', password: 'Alice-pw-1', groups: ['phys', 'chem'], home: '/home/alice', admin: true, softLimit: null, hardLimit: 2 * 1024 ** 3 });
    try {
      readUsersCsv('username,password,group,home,admin,quota_soft,quota_hard\nok,Good-pw-12,g,,,,\nok,Good-pw-12,g,,,,\nx,Good-pw-12,g,../etc,maybe,2G,1G\n', '/home');
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof BatchError);
      assert.deepEqual(err.problems, [
        'line 3: username ok is already on line 2',
        'line 4: home "../etc" must be an absolute path without ".." or ":"',
        'line 4: admin "maybe" must be yes or no (or true/false, 1/0)',
        'line 4: quota_soft is larger than quota_hard',
      ]);
    }
  });

  it('sizes', () => {
    assert.equal(parseSize('1.5G'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('12x'), null);
    assert.equal(formatSize(5 * 1024 * 1024), '5M');
  });
});

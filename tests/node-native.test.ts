// The optional native addon: used when it was built (unless REFWASI_NATIVE=0), and its calls
// answer as Node's fs does. The rest of the suite runs over whichever path is in use; run it
// with REFWASI_NATIVE=0 for the pure-JS one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno, Filetype } from '../src/abi/constants';
import { WasiError } from '../src/abi/errors';
import { NodeDirectory } from '../src/backends/node';
import { addressing } from '../src/backends/node/host-dir';
import { jsOps } from '../src/backends/node/js-ops';
import { nativeOps } from '../src/backends/node/native-ops';

const ADDON = path.join(__dirname, '..', 'native', 'build', 'Release', 'refwasi_native.node');
const linux = process.platform === 'linux';
let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-native-')));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('is in use exactly when it was built on Linux and REFWASI_NATIVE is not 0', () => {
  const expected = linux && addressing.byFd && fs.existsSync(ADDON) && process.env.REFWASI_NATIVE !== '0';
  expect(NodeDirectory.usesNativeAddon).toBe(expected);
});

const withAddon = nativeOps !== null ? describe : describe.skip;
withAddon('its calls answer as Node fs does', () => {
  const native = nativeOps!;
  const listing = (ops: typeof jsOps, dir: NodeDirectory) =>
    ops.list(dir.host).sort((a, b) => (a.name < b.name ? -1 : 1));

  it("readdir's d_ino and d_type are what lstat of each entry says", () => {
    fs.writeFileSync(path.join(tmp, 'file'), 'x');
    fs.mkdirSync(path.join(tmp, 'dir'));
    fs.symlinkSync('file', path.join(tmp, 'link'));
    fs.writeFileSync(path.join(tmp, 'é ü'), '');
    const dir = new NodeDirectory(tmp);
    const got = listing(native, dir);
    expect(got).toEqual(listing(jsOps, dir));
    expect(got.map((e) => [e.name, e.filetype])).toEqual([
      ['dir', Filetype.DIRECTORY], ['file', Filetype.REGULAR_FILE], ['link', Filetype.SYMBOLIC_LINK], ['é ü', Filetype.REGULAR_FILE],
    ]);
    expect(listing(native, new NodeDirectory(path.join(tmp, 'dir')))).toEqual([]);
  });

  it('lstat, readlink and errors agree; nothing is followed', () => {
    fs.writeFileSync(path.join(tmp, 'file'), 'xyz');
    fs.symlinkSync('file', path.join(tmp, 'link'));
    const dir = new NodeDirectory(tmp).host;
    for (const name of ['file', 'link']) {
      const [a, b] = [native.lstat(dir, name)!, jsOps.lstat(dir, name)!];
      expect([a.dev, a.ino, a.size, a.nlink, a.mtimeNs, a.isSymbolicLink()]).toEqual([b.dev, b.ino, b.size, b.nlink, b.mtimeNs, b.isSymbolicLink()]);
    }
    expect(native.lstat(dir, 'missing')).toBeUndefined();
    expect(native.readlink(dir, 'link')).toBe('file');
    const errno = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return Errno[(e as WasiError).errno];
      }
      return 'SUCCESS';
    };
    expect(errno(() => native.readlink(dir, 'file'))).toBe('INVAL');
    expect(errno(() => native.openFile(dir, 'link', fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW, true))).toBe('LOOP');
    expect(errno(() => native.openDir(dir, 'link'))).toBe('NOTDIR');
    expect(errno(() => native.mkdir(dir, 'file'))).toBe('EXIST');
    expect(errno(() => native.rmdir(dir, 'missing'))).toBe('NOENT');
  });
});

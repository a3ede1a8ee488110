import { randomBytes } from "node:crypto";
import type { PhotoSize } from "grammy/types";
import { badRequest } from "../api-error.ts";
import type { UploadedFile } from "../request-body.ts";
import type { Handlers, MethodFamily } from "./common.ts";

/** A stored upload (or a photo sent by URL, which has no bytes). */
export interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  filePath: string;
  bytes?: Buffer;
  url?: string;
  filename?: string;
  mimeType: string;
  width: number;
  height: number;
}

/** Photos the bot sent, by file id; `getFile` and `/file/bot<token>/<path>` serve their bytes back. */
export class FileStore implements MethodFamily {
  private readonly files = new Map<string, StoredFile>();
  private fileCounter = 0;

  get(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  /** Every stored file, for a snapshot; {@link importFiles} puts them back. */
  exportFiles(): StoredFile[] {
    return [...this.files.values()];
  }

  importFiles(files: StoredFile[]): void {
    for (const f of files) {
      this.files.set(f.fileId, f);
      const n = Number(/file_(\d+)\./.exec(f.filePath)?.[1] ?? 0);
      this.fileCounter = Math.max(this.fileCounter, n);
    }
  }

  /** The file a `file_path` from getFile names, if its bytes were uploaded. */
  download(path: string): StoredFile | undefined {
    return [...this.files.values()].find((f) => f.filePath === path && f.bytes);
  }

  handlers(): Handlers {
    return {
      getFile: ({ params }) => {
        const file = this.files.get(String(params.file_id ?? ""));
        if (!file?.bytes) throw badRequest("invalid file_id");
        return {
          file_id: file.fileId,
          file_unique_id: file.fileUniqueId,
          file_size: file.bytes.length,
          file_path: file.filePath,
        };
      },
    };
  }

  /** The `photo` parameter: an `attach://` upload, a bare `photo` part, a known file_id or an HTTP URL. */
  resolvePhoto(photo: unknown, files: Map<string, UploadedFile>): StoredFile {
    let upload: UploadedFile | undefined;
    if (typeof photo === "string" && photo.startsWith("attach://"))
      upload = files.get(photo.slice("attach://".length));
    else if (photo === undefined) upload = files.get("photo");
    if (upload) return this.storeUpload(upload);
    if (typeof photo !== "string" || photo === "") throw badRequest("there is no photo in the request");
    const known = this.files.get(photo);
    if (known) return known;
    if (/^https?:\/\//.test(photo)) {
      const f = this.newFile({ url: photo, mimeType: "image/jpeg", width: 800, height: 800 });
      return f;
    }
    throw badRequest("wrong file identifier/HTTP URL specified");
  }

  /** Telegram returns several sizes, the last being the largest; ours all share the uploaded bytes. */
  photoSizes(file: StoredFile): PhotoSize[] {
    const largest: PhotoSize = {
      file_id: file.fileId,
      file_unique_id: file.fileUniqueId,
      width: file.width,
      height: file.height,
      ...(file.bytes ? { file_size: file.bytes.length } : {}),
    };
    const max = Math.max(file.width, file.height);
    if (max <= 90) return [largest];
    const scale = 90 / max;
    const thumb = this.newFile({
      ...file,
      width: Math.round(file.width * scale),
      height: Math.round(file.height * scale),
    });
    return [
      {
        file_id: thumb.fileId,
        file_unique_id: thumb.fileUniqueId,
        width: thumb.width,
        height: thumb.height,
        ...(file.bytes ? { file_size: file.bytes.length } : {}),
      },
      largest,
    ];
  }

  private storeUpload(upload: UploadedFile): StoredFile {
    if (upload.data.length === 0) throw badRequest("file must be non-empty");
    const dims = imageSize(upload.data);
    if (!dims) throw badRequest("IMAGE_PROCESS_FAILED");
    return this.newFile({ bytes: upload.data, filename: upload.filename, ...dims });
  }

  private newFile(
    init: Omit<StoredFile, "fileId" | "fileUniqueId" | "filePath"> & { filename?: string | undefined },
  ): StoredFile {
    const n = ++this.fileCounter;
    const ext = init.mimeType === "image/png" ? "png" : "jpg";
    const file: StoredFile = {
      fileId: `AgACAgIAAxkDAA${randomBytes(48).toString("base64url")}`,
      fileUniqueId: `AQAD${randomBytes(9).toString("base64url")}`,
      filePath: `photos/file_${n}.${ext}`,
      mimeType: init.mimeType,
      width: init.width,
      height: init.height,
    };
    if (init.bytes) file.bytes = init.bytes;
    if (init.url) file.url = init.url;
    if (init.filename) file.filename = init.filename;
    this.files.set(file.fileId, file);
    return file;
  }
}

function imageSize(data: Buffer): { width: number; height: number; mimeType: string } | undefined {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), mimeType: "image/png" };
  }
  if (data[0] === 0xff && data[1] === 0xd8) {
    let pos = 2;
    while (pos + 9 < data.length) {
      if (data[pos] !== 0xff) return undefined;
      const marker = data[pos + 1] as number;
      const len = data.readUInt16BE(pos + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return {
          height: data.readUInt16BE(pos + 5),
          width: data.readUInt16BE(pos + 7),
          mimeType: "image/jpeg",
        };
      }
      pos += 2 + len;
    }
    return { width: 512, height: 512, mimeType: "image/jpeg" };
  }
  if (data.subarray(0, 4).toString("latin1") === "RIFF" || data.subarray(0, 3).toString("latin1") === "GIF") {
    return { width: 512, height: 512, mimeType: "image/jpeg" };
  }
  return undefined;
}

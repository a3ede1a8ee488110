import { describe, expect, it } from "vitest";
import { parseMultipart, parseRequestParams } from "./request-body.ts";

describe("parseRequestParams", () => {
  it("parses grammY-style compact multipart parts, keeping file bytes intact", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const b = "----------abc123";
    const body = Buffer.concat([
      Buffer.from(`--${b}\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n42\r\n--${b}\r\n`),
      Buffer.from(`content-disposition:form-data;name="photo"\r\n\r\nattach://xyz\r\n--${b}\r\n`),
      Buffer.from(
        `content-disposition:form-data;name="xyz";filename=qr.png\r\ncontent-type:application/octet-stream\r\n\r\n`,
      ),
      png,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]);
    const { params, files } = parseRequestParams(
      `multipart/form-data; boundary=${b}`,
      body,
      new URLSearchParams(),
    );
    expect(params).toEqual({ chat_id: "42", photo: "attach://xyz" });
    expect(files.get("xyz")).toMatchObject({ filename: "qr.png", contentType: "application/octet-stream" });
    expect(files.get("xyz")?.data.equals(png)).toBe(true);
  });

  it("parses standard multipart with quoted names (curl / FormData style)", () => {
    const b = "XyZ";
    const body = Buffer.from(
      `--${b}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi there\r\n--${b}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nJPEG\r\n--${b}--\r\n`,
    );
    const parts = parseMultipart(body, b);
    expect(parts.map((p) => [p.field, p.filename, p.data.toString()])).toEqual([
      ["text", undefined, "hi there"],
      ["photo", "a.jpg", "JPEG"],
    ]);
  });

  it("merges the query string with JSON and urlencoded bodies, and rejects bad JSON", () => {
    const q = new URLSearchParams({ chat_id: "1", text: "q" });
    expect(parseRequestParams("application/json", Buffer.from('{"text":"j"}'), q).params).toEqual({
      chat_id: "1",
      text: "j",
    });
    expect(
      parseRequestParams("application/x-www-form-urlencoded", Buffer.from("text=u%20v"), q).params,
    ).toEqual({ chat_id: "1", text: "u v" });
    expect(() => parseRequestParams("application/json", Buffer.from("{"), q)).toThrow(/can't parse JSON/);
  });
});

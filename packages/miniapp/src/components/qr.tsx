import { useEffect, useState } from "react";
import { retryImport } from "../lib/retry.ts";

/** The booking code as an SVG QR code; the encoder loads on demand to keep the first page small. */
export function QrCode({ text, size = 260 }: { text: string; size?: number }) {
  const [svg, setSvg] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    void retryImport(() => import("qrcode")).then(async (m) => {
      const QR = m.default ?? m;
      const out = await QR.toString(text, {
        type: "svg",
        margin: 2,
        errorCorrectionLevel: "M",
        color: { dark: "#000000", light: "#ffffff" },
      });
      if (alive) setSvg(out);
    });
    return () => {
      alive = false;
    };
  }, [text]);
  return (
    <div
      className="qr"
      style={{ width: size, height: size }}
      data-testid="qr"
      role="img"
      aria-label={text}
      // biome-ignore lint/security/noDangerouslySetInnerHtml: SVG generated locally by the qrcode encoder
      dangerouslySetInnerHTML={svg ? { __html: svg } : undefined}
    />
  );
}

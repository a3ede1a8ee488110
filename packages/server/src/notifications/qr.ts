import QRCode from "qrcode";

/** A PNG of a QR code whose content is exactly `text` (the booking code): what the seller scans. */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: "png", errorCorrectionLevel: "M", margin: 2, width: 480 });
}

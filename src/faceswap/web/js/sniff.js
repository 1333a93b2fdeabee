// What a file is by its first bytes, as the server tells it (never by its name), and a photo's size in
// pixels from its header: the drop zones check both before anything is sent.

/** How many leading bytes `sniff` reads: enough for a JPEG's size behind a large EXIF block. */
export const HEAD_BYTES = 256 * 1024;

const ascii = (bytes, start, length) => String.fromCharCode(...bytes.subarray(start, start + length));
const startsWith = (bytes, values, at = 0) => values.every((value, index) => bytes[at + index] === value);

function imageType(bytes) {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (["GIF87a", "GIF89a"].includes(ascii(bytes, 0, 6))) return "gif";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "webp";
  if (ascii(bytes, 0, 2) === "BM" && bytes.length >= 18) return "bmp";
  return null;
}

function isVideo(bytes) {
  const box = ascii(bytes, 4, 4);
  return (
    box === "ftyp" ||
    ["moov", "mdat", "wide", "free", "skip", "pnot"].includes(box) ||
    startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3]) ||
    (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "AVI ")
  );
}

function jpegSize(view) {
  let at = 2;
  while (at + 9 < view.byteLength) {
    if (view.getUint8(at) !== 0xff) return null;
    const marker = view.getUint8(at + 1);
    if (marker === 0xff) { at += 1; continue; } // fill byte
    // start of frame: every SOFn but DHT (c4), JPG (c8) and DAC (cc)
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
    }
    at += 2 + view.getUint16(at + 2);
  }
  return null;
}

function webpSize(bytes, view) {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === "VP8X") return { width: 1 + (view.getUint32(24, true) & 0xffffff), height: 1 + (view.getUint32(27, true) & 0xffffff) };
  if (chunk === "VP8L") {
    const bits = view.getUint32(21, true);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (chunk === "VP8 ") return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  return null;
}

function imageSize(type, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (type === "png") return { width: view.getUint32(16), height: view.getUint32(20) };
    if (type === "gif") return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
    if (type === "bmp") return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
    if (type === "webp") return webpSize(bytes, view);
    if (type === "jpeg") return jpegSize(view);
  } catch {
    // a header cut short: the server tells
  }
  return null;
}

/** {kind: "image" | "video" | null, type, width?, height?} of `file` from its first bytes. */
export async function sniff(file) {
  const bytes = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const type = imageType(bytes);
  if (type) return { kind: "image", type, ...(imageSize(type, bytes) ?? {}) };
  return { kind: isVideo(bytes) ? "video" : null, type: null };
}

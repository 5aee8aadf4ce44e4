// Reading QR codes: the browser's BarcodeDetector where it reads QR codes, else the zxing-wasm
// ponyfill with its .wasm served by us (never a CDN), loaded only by the staff screens.
import wasmUrl from "zxing-wasm/reader/zxing_reader.wasm?url";

interface Detector {
  detect(source: ImageBitmapSource): Promise<{ rawValue: string }[]>;
}

interface NativeDetector {
  new (options: { formats: string[] }): Detector;
  getSupportedFormats(): Promise<string[]>;
}

let detector: Promise<Detector> | null = null;

async function makeDetector(): Promise<Detector> {
  const Native = (globalThis as { BarcodeDetector?: NativeDetector }).BarcodeDetector;
  if (Native && (await Native.getSupportedFormats()).includes("qr_code")) {
    return new Native({ formats: ["qr_code"] });
  }
  const ponyfill = await import("barcode-detector/ponyfill");
  await ponyfill.prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? wasmUrl : prefix + path) },
    fireImmediately: true,
  });
  return new ponyfill.BarcodeDetector({ formats: ["qr_code"] });
}

/** The detector, made once (and its wasm fetched now, so scanning works when the network goes). */
export function qrDetector(): Promise<Detector> {
  detector ??= makeDetector().catch((error: unknown) => {
    detector = null;
    throw error;
  });
  return detector;
}

/** The text of the first QR code in an image (a photo, a file), or null. */
export async function readImage(blob: Blob): Promise<string | null> {
  const bitmap = await createImageBitmap(blob);
  try {
    const [code] = await (await qrDetector()).detect(bitmap);
    return code?.rawValue ?? null;
  } finally {
    bitmap.close();
  }
}

/** Scan the camera until a code is read (or `stop` is called): frames a few times a second. */
export async function scanCamera(
  video: HTMLVideoElement,
  onCode: (text: string) => void,
): Promise<{ stop: () => void }> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "environment" },
    audio: false,
  });
  video.srcObject = stream;
  await video.play();
  const found = await qrDetector();
  let running = true;
  let last = "";
  const tick = async () => {
    if (!running) return;
    if (video.readyState >= 2) {
      try {
        const [code] = await found.detect(video);
        if (code && code.rawValue !== last) {
          last = code.rawValue;
          onCode(code.rawValue);
        }
      } catch {
        // a frame that cannot be read: the next one
      }
    }
    setTimeout(() => void tick(), 150);
  };
  void tick();
  return {
    stop() {
      running = false;
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
    },
  };
}

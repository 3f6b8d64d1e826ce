/**
 * Length of a wav file from its header alone, so slicing long noise recordings does not need
 * them decoded.
 */
import { open } from 'node:fs/promises';

export interface WavLength {
  sampleRateHz: number;
  frames: number;
}

/** Reads the RIFF chunks up to `data`: sample rate and number of frames. Throws naming the file. */
export async function readWavLength(path: string): Promise<WavLength> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    await handle.read(head, 0, 12, 0);
    if (head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') {
      throw new Error(`${path}: not a RIFF/WAVE file`);
    }
    let position = 12;
    let blockAlign = 0;
    let sampleRateHz = 0;
    const chunk = Buffer.alloc(24);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, 24, position);
      if (bytesRead < 8) throw new Error(`${path}: no data chunk in the wav header`);
      const id = chunk.toString('ascii', 0, 4);
      const size = chunk.readUInt32LE(4);
      if (id === 'fmt ') {
        if (bytesRead < 24) throw new Error(`${path}: truncated fmt chunk`);
        sampleRateHz = chunk.readUInt32LE(12);
        blockAlign = chunk.readUInt16LE(20);
      } else if (id === 'data') {
        if (blockAlign === 0 || sampleRateHz === 0) throw new Error(`${path}: data chunk before a valid fmt chunk`);
        const fileSize = (await handle.stat()).size;
        const dataBytes = Math.min(size, fileSize - position - 8);
        return { sampleRateHz, frames: Math.floor(dataBytes / blockAlign) };
      }
      position += 8 + size + (size % 2);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Where the word is in a clip: the span of 10 ms frames loud enough to be speech, relative to the
 * clip's loudest frame. Used to place words in evaluation streams and to cut them in training.
 */
/** Voiced frames have an RMS of at least this share of the loudest frame's. */
const VOICED_RMS_SHARE = 0.1;
/** 10 ms at 16 kHz. */
const VOICE_FRAME = 160;

/** First and last sample of the clip's voiced part (the whole clip if it is silent). */
export function voicedSpan(samples: Float32Array): [number, number] {
  const frames = Math.floor(samples.length / VOICE_FRAME);
  const rms = new Float64Array(frames);
  let loudest = 0;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let i = f * VOICE_FRAME; i < (f + 1) * VOICE_FRAME; i++) sum += samples[i]! * samples[i]!;
    rms[f] = Math.sqrt(sum / VOICE_FRAME);
    loudest = Math.max(loudest, rms[f]!);
  }
  if (loudest === 0) return [0, samples.length];
  let first = 0;
  while (rms[first]! < VOICED_RMS_SHARE * loudest) first++;
  let last = frames - 1;
  while (rms[last]! < VOICED_RMS_SHARE * loudest) last--;
  return [first * VOICE_FRAME, (last + 1) * VOICE_FRAME];
}

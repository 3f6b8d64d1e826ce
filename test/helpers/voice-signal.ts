/** A 16 kHz voice-like test signal for the audio format tests. */

/**
 * Harmonics of a 120-200 Hz pitch that rises within each second, below `maxHz` (speech's strong
 * partials), under an amplitude envelope; `phase` varies the pitch and phases.
 */
export function voiceSignal(seconds: number, phase = 0, maxHz = 4000): Float32Array {
  const n = Math.round(16000 * seconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    const f0 = 120 + 80 * (t % 1) + 10 * phase;
    let v = 0;
    for (let h = 1; h * f0 < maxHz; h++) v += Math.sin(2 * Math.PI * f0 * h * t + phase * h) / h;
    out[i] = 0.25 * v * Math.sin((Math.PI * i) / n);
  }
  return out;
}

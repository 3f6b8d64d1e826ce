/**
 * FFT of a real signal whose length is a power of two, via one complex FFT of half the length
 * (even samples as real part, odd samples as imaginary part) and a split step. All tables and
 * work buffers are allocated once, in the constructor.
 */
export class RealFft {
  readonly size: number;
  private readonly half: number;
  private readonly bitReversed: Uint32Array;
  /**
   * Twiddles of the half-size complex FFT, stage by stage: the stage of span s (half-span h = s/2)
   * holds cos / -sin of 2*pi*j/s for j < h at index h - 1 + j.
   */
  private readonly stageCos: Float64Array;
  private readonly stageSin: Float64Array;
  /** cos / -sin of 2*pi*k/size, the twiddles of the split step. */
  private readonly splitCos: Float64Array;
  private readonly splitSin: Float64Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) {
      throw new RangeError(`RealFft: size must be a power of two >= 2, got ${size}`);
    }
    this.size = size;
    const half = size / 2;
    this.half = half;
    const bits = Math.round(Math.log2(half));
    this.bitReversed = new Uint32Array(half);
    for (let i = 0; i < half; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitReversed[i] = r;
    }
    this.stageCos = new Float64Array(Math.max(1, half));
    this.stageSin = new Float64Array(Math.max(1, half));
    for (let span = 2; span <= half; span <<= 1) {
      const mid = span >> 1;
      for (let j = 0; j < mid; j++) {
        this.stageCos[mid - 1 + j] = Math.cos((2 * Math.PI * j) / span);
        this.stageSin[mid - 1 + j] = -Math.sin((2 * Math.PI * j) / span);
      }
    }
    this.splitCos = new Float64Array(half + 1);
    this.splitSin = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.splitCos[k] = Math.cos((2 * Math.PI * k) / size);
      this.splitSin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.zr = new Float64Array(half);
    this.zi = new Float64Array(half);
  }

  /**
   * Spectrum bins 0..size/2 of `input[offset .. offset + size)`, written to re/im (each of length
   * >= size/2 + 1). Unnormalised: X[k] = sum_n x[n] e^{-2 pi i k n / size}.
   */
  transform(input: ArrayLike<number>, re: Float64Array, im: Float64Array, offset = 0): void {
    const { half, zr, zi, bitReversed } = this;
    for (let m = 0; m < half; m++) {
      const j = bitReversed[m];
      zr[j] = input[offset + 2 * m];
      zi[j] = input[offset + 2 * m + 1];
    }
    // Spans 2 and 4 have trivial twiddles (1, -i): one radix-4 pass does both.
    let span = 2;
    if (half >= 4) {
      for (let a = 0; a < half; a += 4) {
        const r0 = zr[a] + zr[a + 1];
        const i0 = zi[a] + zi[a + 1];
        const r1 = zr[a] - zr[a + 1];
        const i1 = zi[a] - zi[a + 1];
        const r2 = zr[a + 2] + zr[a + 3];
        const i2 = zi[a + 2] + zi[a + 3];
        const r3 = zr[a + 2] - zr[a + 3];
        const i3 = zi[a + 2] - zi[a + 3];
        zr[a] = r0 + r2;
        zi[a] = i0 + i2;
        zr[a + 2] = r0 - r2;
        zi[a + 2] = i0 - i2;
        // (r3 + i i3) * -i = i3 - i r3
        zr[a + 1] = r1 + i3;
        zi[a + 1] = i1 - r3;
        zr[a + 3] = r1 - i3;
        zi[a + 3] = i1 + r3;
      }
      span = 8;
    }
    const { stageCos, stageSin } = this;
    for (; span <= half; span <<= 1) {
      const mid = span >> 1;
      // Twiddles of this stage lie at stage*[mid - 1 .. span - 1), contiguous.
      const base = mid - 1;
      for (let start = 0; start < half; start += span) {
        for (let j = 0; j < mid; j++) {
          const wr = stageCos[base + j];
          const wi = stageSin[base + j];
          const a = start + j;
          const b = a + mid;
          const xr = zr[b];
          const xi = zi[b];
          const tr = wr * xr - wi * xi;
          const ti = wr * xi + wi * xr;
          const ar = zr[a];
          const ai = zi[a];
          zr[b] = ar - tr;
          zi[b] = ai - ti;
          zr[a] = ar + tr;
          zi[a] = ai + ti;
        }
      }
    }
    const { splitCos, splitSin } = this;
    for (let k = 0; k <= half; k++) {
      const a = k === half ? 0 : k;
      const b = k === 0 ? 0 : half - k;
      const ar = zr[a];
      const ai = zi[a];
      const br = zr[b];
      const bi = zi[b];
      // Even part E = (Z[k] + conj Z[half-k]) / 2, odd part O = (Z[k] - conj Z[half-k]) / 2i.
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi);
      const oi = -0.5 * (ar - br);
      const c = splitCos[k];
      const s = splitSin[k];
      re[k] = er + c * or - s * oi;
      im[k] = ei + c * oi + s * or;
    }
  }
}

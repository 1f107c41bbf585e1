//! AVX-512 kernels for the native writing model ([`super::native`]): Q8_0 weight matrices times
//! activations quantized to Q8_0 blocks on the fly, with int8 dot products (AVX-512 VNNI's
//! `vpdpbusd`), as llama.cpp does; RMS norm and SwiGLU in f32; causal attention over a bfloat16
//! KV cache with AVX-512 BF16's `vdpbf16ps` products and f32 sums and softmax.
//!
//! Why hand-written: candle's quantized Qwen3 on this 2-core CPU spends much of its time in its
//! thread pool's spinning barriers and runs prefill several times slower (BENCHMARKS.md, "The
//! writing model", has the measured figures). Here a weight matrix is
//! repacked once at load into panels of 32 output columns: for each 32-wide block of the input,
//! eight groups of 4 bytes per column, one 512-bit load holding 16 columns' groups, then the
//! 32 columns' f16 scales, as many bytes as the GGUF's Q8_0 blocks. The microkernel reuses each
//! weight load for [`MR`] activation rows (prefill is compute-bound) and streams the panels once
//! for one row (decode is memory-bound: every weight byte is read once per token).
//!
//! `vpdpbusd` multiplies unsigned by signed bytes, so weights are stored plus 128 (unsigned) and
//! each activation block's sum, times 128, is taken off after: `sum((w + 128) a) - 128 sum(a)`.
//!
//! As in the encoder's kernels ([`crate::encoder::kernels`]), every kernel is an `unsafe`
//! `#[target_feature]` function reached only through a safe wrapper that takes a [`Vnni`]
//! token, which exists only once the CPU has been checked, and that checks every other promise
//! the kernel's memory accesses rest on (shapes, disjoint outputs).

#![allow(unsafe_code)]

use std::arch::x86_64::*;

use rayon::prelude::*;

// Shared with the encoder: one softmax, one `e^x`, one lane mask for both models.
use crate::encoder::kernels::{exp, lane_mask, softmax};

/// Values per Q8_0 block (one f16 scale, 32 signed bytes).
pub const BLOCK: usize = 32;
/// Bytes of one Q8_0 block in a GGUF file.
pub const BLOCK_BYTES: usize = 2 + BLOCK;
/// Output columns per packed panel: two 16-lane vectors.
pub const PANEL: usize = 32;
const LANES: usize = 16;
/// Groups of 4 bytes per block (one `vpdpbusd` step each).
const GROUPS: usize = BLOCK / 4;
/// Bytes of one block of one panel: the quants, then 32 f16 scales.
const PANEL_BLOCK: usize = GROUPS * PANEL * 4 + PANEL * 2;
/// Activation rows per microkernel call: 6 rows x 2 vectors of int and of float accumulators
/// (24 registers) plus the two weight vectors and the scales.
const MR: usize = 6;
/// Queries handled together in attention (eight independent FMA chains).
const QUERIES: usize = 8;

/// Proof that this CPU has AVX-512 F, BW, VL, VNNI and BF16; the safe wrappers below require one.
#[derive(Debug, Clone, Copy)]
pub struct Vnni {
    _checked: (),
}

impl Vnni {
    pub fn detect() -> Option<Self> {
        (is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx512vnni")
            && is_x86_feature_detected!("avx512bf16"))
        .then_some(Vnni { _checked: () })
    }
}

/// A weight matrix `[rows x cols]` (rows are output features, as GGUF stores them) repacked
/// from Q8_0 for [`matmul`]. Several GGUF matrices with the same `cols` can be stacked into one
/// (q, k and v; gate and up) so that one pass over the activations computes them all.
pub struct Q8Matrix {
    rows: usize,
    cols: usize,
    data: Vec<u8>,
}

impl Q8Matrix {
    /// Stacks and repacks `parts`, each the raw Q8_0 bytes of a `[rows x cols]` matrix. Returns
    /// `None` where a shape does not fit (`cols` not a multiple of 32, a part's rows not a
    /// multiple of 32, or a byte count that does not match).
    pub fn pack(parts: &[(&[u8], usize)], cols: usize) -> Option<Self> {
        if cols == 0 || !cols.is_multiple_of(BLOCK) {
            return None;
        }
        let blocks = cols / BLOCK;
        let mut rows = 0;
        for &(bytes, part_rows) in parts {
            if part_rows == 0
                || !part_rows.is_multiple_of(PANEL)
                || bytes.len() != part_rows * blocks * BLOCK_BYTES
            {
                return None;
            }
            rows += part_rows;
        }
        let mut data = vec![0u8; rows / PANEL * blocks * PANEL_BLOCK];
        let mut row = 0;
        for &(bytes, part_rows) in parts {
            for (r, source) in bytes.chunks_exact(blocks * BLOCK_BYTES).enumerate() {
                let n = row + r;
                let (panel, column) = (n / PANEL, n % PANEL);
                let (half, lane) = (column / LANES, column % LANES);
                for (b, block) in source.chunks_exact(BLOCK_BYTES).enumerate() {
                    let at = (panel * blocks + b) * PANEL_BLOCK;
                    data[at + GROUPS * PANEL * 4 + column * 2..][..2].copy_from_slice(&block[..2]);
                    for (g, quad) in block[2..].chunks_exact(4).enumerate() {
                        let to = at + g * PANEL * 4 + half * LANES * 4 + lane * 4;
                        for (d, &q) in data[to..to + 4].iter_mut().zip(quad) {
                            *d = q ^ 0x80;
                        }
                    }
                }
            }
            row += part_rows;
        }
        Some(Q8Matrix { rows, cols, data })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `n` as f32 (the embedding of token `n` when this is the token embedding matrix).
    pub fn row(&self, n: usize, out: &mut [f32]) {
        assert!(n < self.rows && out.len() == self.cols, "row out of range");
        let blocks = self.cols / BLOCK;
        let (panel, column) = (n / PANEL, n % PANEL);
        let (half, lane) = (column / LANES, column % LANES);
        for (b, values) in out.chunks_exact_mut(BLOCK).enumerate() {
            let at = (panel * blocks + b) * PANEL_BLOCK;
            let s = at + GROUPS * PANEL * 4 + column * 2;
            let scale = f16_to_f32(u16::from_le_bytes([self.data[s], self.data[s + 1]]));
            for (i, v) in values.iter_mut().enumerate() {
                let (g, j) = (i / 4, i % 4);
                let q = self.data[at + g * PANEL * 4 + half * LANES * 4 + lane * 4 + j] ^ 0x80;
                *v = scale * q as i8 as f32;
            }
        }
    }
}

/// IEEE half to single precision (subnormals included).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h as u32) & 0x8000) << 16;
    let exponent = ((h >> 10) & 0x1f) as u32;
    let mantissa = (h & 0x3ff) as u32;
    let bits = match (exponent, mantissa) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: m * 2^-24.
            let value = m as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -value } else { value };
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Activation rows quantized to Q8_0 blocks for [`matmul`]: signed bytes, each block's scale,
/// and each block's correction for the weights' +128 (`-128 * sum(q) * scale`).
#[derive(Default)]
pub struct QuantRows {
    rows: usize,
    cols: usize,
    quants: Vec<i8>,
    scales: Vec<f32>,
    corrections: Vec<f32>,
}

impl QuantRows {
    /// Quantizes `x`, `rows x cols` row-major (`cols` a multiple of 32), reusing this memory.
    pub fn quantize(&mut self, _cpu: Vnni, x: &[f32], rows: usize, cols: usize) {
        assert!(
            cols.is_multiple_of(BLOCK) && x.len() == rows * cols,
            "activation shape"
        );
        let blocks = rows * cols / BLOCK;
        self.rows = rows;
        self.cols = cols;
        self.quants.resize(rows * cols, 0);
        self.scales.resize(blocks, 0.0);
        self.corrections.resize(blocks, 0.0);
        let per_job = BLOCK * 1024;
        x.par_chunks(per_job)
            .zip(self.quants.par_chunks_mut(per_job))
            .zip(self.scales.par_chunks_mut(per_job / BLOCK))
            .zip(self.corrections.par_chunks_mut(per_job / BLOCK))
            .for_each(|(((x, q), s), c)| {
                for (((x, q), s), c) in x
                    .chunks_exact(BLOCK)
                    .zip(q.chunks_exact_mut(BLOCK))
                    .zip(s.iter_mut())
                    .zip(c.iter_mut())
                {
                    // SAFETY: AVX-512F/BW proven by the token; every slice is one block long.
                    unsafe { quantize_block(x, q, s, c) }
                }
            });
    }
}

/// One block: `q = round(x / d)` with `d = max|x| / 127`.
///
/// # Safety
///
/// The CPU supports AVX-512F and BW; `x` and `q` are [`BLOCK`] long.
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn quantize_block(x: &[f32], q: &mut [i8], scale: &mut f32, correction: &mut f32) {
    unsafe {
        let a = _mm512_loadu_ps(x.as_ptr());
        let b = _mm512_loadu_ps(x.as_ptr().add(LANES));
        let max = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
        let d = max / 127.0;
        let inv = _mm512_set1_ps(if d > 0.0 { 1.0 / d } else { 0.0 });
        let round = |v: __m512| {
            _mm512_cvtps_epi32(_mm512_roundscale_ps::<
                { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
            >(_mm512_mul_ps(v, inv)))
        };
        let (qa, qb) = (round(a), round(b));
        let sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qa, qb));
        _mm_storeu_si128(q.as_mut_ptr() as *mut __m128i, _mm512_cvtepi32_epi8(qa));
        _mm_storeu_si128(
            q.as_mut_ptr().add(LANES) as *mut __m128i,
            _mm512_cvtepi32_epi8(qb),
        );
        *scale = d;
        *correction = -128.0 * sum as f32 * d;
    }
}

/// `out = x W^T` (or `out += x W^T` with `accumulate`: the residual connection), `x` being
/// [`QuantRows`] of `W.cols()` columns and `out` `x.rows x W.rows()` row-major.
pub fn matmul(_cpu: Vnni, w: &Q8Matrix, x: &QuantRows, out: &mut [f32], accumulate: bool) {
    assert_eq!(x.cols, w.cols, "matmul inner dimensions");
    assert_eq!(out.len(), x.rows * w.rows, "matmul output shape");
    let (n, k, blocks) = (w.rows, w.cols, w.cols / BLOCK);
    let panels = n / PANEL;
    if x.rows == 1 {
        // Decode: one row, memory-bound. Jobs take runs of panels (columns of the one row).
        let per_job = panels.div_ceil(rayon::current_num_threads() * 8).max(1);
        out.par_chunks_mut(per_job * PANEL)
            .enumerate()
            .for_each(|(job, out)| {
                for (i, out) in out.chunks_exact_mut(PANEL).enumerate() {
                    let panel = job * per_job + i;
                    // SAFETY: VNNI proven by the token; the panel is inside `w.data` (panel <
                    // panels), the row inside `x` (shapes asserted above); `out` is this
                    // panel's 32 columns of the one row, which only this job writes.
                    unsafe {
                        tile::<1>(
                            w.data.as_ptr().add(panel * blocks * PANEL_BLOCK),
                            blocks,
                            x.quants.as_ptr(),
                            k,
                            x.scales.as_ptr(),
                            x.corrections.as_ptr(),
                            out.as_mut_ptr(),
                            n,
                            accumulate,
                        )
                    }
                }
            });
        return;
    }
    // Prefill: jobs take runs of rows (whole tiles); each job walks every panel over its rows,
    // so a panel is read once from memory and then reused from cache for all of them.
    let threads = rayon::current_num_threads();
    let rows_per_job = x.rows.div_ceil(threads * 4).next_multiple_of(MR).max(MR);
    out.par_chunks_mut(rows_per_job * n)
        .enumerate()
        .for_each(|(job, out)| {
            let first = job * rows_per_job;
            let rows = out.len() / n;
            for panel in 0..panels {
                let weights = panel * blocks * PANEL_BLOCK;
                let mut r = 0;
                while r < rows {
                    let count = (rows - r).min(MR);
                    let row = first + r;
                    let kernel: Tile = match count {
                        6 => tile::<6>,
                        5 => tile::<5>,
                        4 => tile::<4>,
                        3 => tile::<3>,
                        2 => tile::<2>,
                        _ => tile::<1>,
                    };
                    // SAFETY: VNNI proven by the token; rows `row..row + count` are inside `x`
                    // and inside this job's `out` (`r + count <= rows`); the panel is inside
                    // `w.data`; jobs write disjoint rows of `out`.
                    unsafe {
                        kernel(
                            w.data.as_ptr().add(weights),
                            blocks,
                            x.quants.as_ptr().add(row * k),
                            k,
                            x.scales.as_ptr().add(row * blocks),
                            x.corrections.as_ptr().add(row * blocks),
                            out.as_mut_ptr().add(r * n + panel * PANEL),
                            n,
                            accumulate,
                        )
                    }
                    r += count;
                }
            }
        });
}

/// [`tile`] for some row count.
type Tile =
    unsafe fn(*const u8, usize, *const i8, usize, *const f32, *const f32, *mut f32, usize, bool);

/// `R` activation rows times one panel: 32 output columns of `R` rows.
///
/// # Safety
///
/// The CPU supports AVX-512F, BW and VNNI; `panel` points at `blocks` packed panel blocks;
/// `quants` at `R` rows of `k = 32 blocks` signed bytes (row stride `k`), `scales` and
/// `corrections` at `R` rows of `blocks` values; `out` at `R` rows of 32 writable floats (row
/// stride `ldo`) that no other thread touches meanwhile.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const R: usize>(
    panel: *const u8,
    blocks: usize,
    quants: *const i8,
    k: usize,
    scales: *const f32,
    corrections: *const f32,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        for b in 0..blocks {
            let p = panel.add(b * PANEL_BLOCK);
            let mut dots = [[_mm512_setzero_si512(); 2]; R];
            for g in 0..GROUPS {
                let w0 = _mm512_loadu_si512(p.add(g * PANEL * 4) as *const __m512i);
                let w1 = _mm512_loadu_si512(p.add(g * PANEL * 4 + 64) as *const __m512i);
                for (r, dots) in dots.iter_mut().enumerate() {
                    let a = _mm512_set1_epi32(std::ptr::read_unaligned(
                        quants.add(r * k + b * BLOCK + g * 4) as *const i32,
                    ));
                    dots[0] = _mm512_dpbusd_epi32(dots[0], w0, a);
                    dots[1] = _mm512_dpbusd_epi32(dots[1], w1, a);
                }
            }
            let s = p.add(GROUPS * PANEL * 4);
            let d0 = _mm512_cvtph_ps(_mm256_loadu_si256(s as *const __m256i));
            let d1 = _mm512_cvtph_ps(_mm256_loadu_si256(s.add(32) as *const __m256i));
            for (r, (acc, dots)) in acc.iter_mut().zip(&dots).enumerate() {
                let dx = _mm512_set1_ps(*scales.add(r * blocks + b));
                let c = _mm512_set1_ps(*corrections.add(r * blocks + b));
                let t0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots[0]), dx, c);
                let t1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dots[1]), dx, c);
                acc[0] = _mm512_fmadd_ps(t0, d0, acc[0]);
                acc[1] = _mm512_fmadd_ps(t1, d1, acc[1]);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            let o = out.add(r * ldo);
            let (mut y0, mut y1) = (acc[0], acc[1]);
            if accumulate {
                y0 = _mm512_add_ps(y0, _mm512_loadu_ps(o));
                y1 = _mm512_add_ps(y1, _mm512_loadu_ps(o.add(LANES)));
            }
            _mm512_storeu_ps(o, y0);
            _mm512_storeu_ps(o.add(LANES), y1);
        }
    }
}

/// RMS norm of each `width`-wide row of `x`, in place: `x / sqrt(mean(x^2) + eps) * weight`.
pub fn rms_norm(_cpu: Vnni, x: &mut [f32], weight: &[f32], eps: f32) {
    let width = weight.len();
    assert!(
        width > 0 && width.is_multiple_of(LANES) && x.len().is_multiple_of(width),
        "rms norm shape"
    );
    let run = |rows: &mut [f32]| {
        for row in rows.chunks_exact_mut(width) {
            // SAFETY: AVX-512F proven by the token; `row` and `weight` are `width` long, a
            // multiple of 16.
            unsafe { rms_norm_row(row, weight, eps) }
        }
    };
    if x.len() >= width * 64 {
        x.par_chunks_mut(width * 32).for_each(run);
    } else {
        run(x);
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn rms_norm_row(row: &mut [f32], weight: &[f32], eps: f32) {
    unsafe {
        let (n, p) = (row.len(), row.as_mut_ptr());
        let mut squares = _mm512_setzero_ps();
        for i in (0..n).step_by(LANES) {
            let v = _mm512_loadu_ps(p.add(i));
            squares = _mm512_fmadd_ps(v, v, squares);
        }
        let inv = 1.0 / (_mm512_reduce_add_ps(squares) / n as f32 + eps).sqrt();
        let inv = _mm512_set1_ps(inv);
        for i in (0..n).step_by(LANES) {
            let v = _mm512_mul_ps(_mm512_loadu_ps(p.add(i)), inv);
            let w = _mm512_loadu_ps(weight.as_ptr().add(i));
            _mm512_storeu_ps(p.add(i), _mm512_mul_ps(v, w));
        }
    }
}

/// SwiGLU: each row of `gate_up` holds the gate's `width` values then the up projection's;
/// `out` (`width` per row) gets `silu(gate) * up`.
pub fn swiglu(_cpu: Vnni, gate_up: &[f32], width: usize, out: &mut [f32]) {
    assert!(
        width > 0
            && width.is_multiple_of(LANES)
            && gate_up.len().is_multiple_of(2 * width)
            && out.len() * 2 == gate_up.len(),
        "swiglu shape"
    );
    gate_up
        .par_chunks(2 * width * 16)
        .zip(out.par_chunks_mut(width * 16))
        .for_each(|(gate_up, out)| {
            for (gu, o) in gate_up
                .chunks_exact(2 * width)
                .zip(out.chunks_exact_mut(width))
            {
                // SAFETY: AVX-512F proven by the token; `gu` is 2 x width long, `o` width,
                // width a multiple of 16.
                unsafe { swiglu_row(gu, o) }
            }
        });
}

#[target_feature(enable = "avx512f")]
unsafe fn swiglu_row(gate_up: &[f32], out: &mut [f32]) {
    unsafe {
        let n = out.len();
        let (g, u, o) = (gate_up.as_ptr(), gate_up.as_ptr().add(n), out.as_mut_ptr());
        let one = _mm512_set1_ps(1.0);
        for i in (0..n).step_by(LANES) {
            let x = _mm512_loadu_ps(g.add(i));
            let e = exp(_mm512_sub_ps(_mm512_setzero_ps(), x));
            let silu = _mm512_div_ps(x, _mm512_add_ps(one, e));
            _mm512_storeu_ps(o.add(i), _mm512_mul_ps(silu, _mm512_loadu_ps(u.add(i))));
        }
    }
}

/// The keys and values of the positions seen so far, for one layer, in bfloat16 laid out for
/// `vdpbf16ps`, which multiplies pairs, and for reading in order. Keys, per KV head, per run of
/// sixteen positions: `head_dim / 2` vectors of sixteen pairs (dimensions `2i, 2i + 1` of each
/// position), so one query's scores for the run come from 4 KB read front to back. Values, per
/// KV head, per sixteen dimensions: `capacity / 2` vectors of sixteen pairs (one dimension of
/// positions `2j, 2j + 1`), read front to back for those sixteen outputs.
pub struct KvCache {
    kv_heads: usize,
    head_dim: usize,
    capacity: usize,
    len: usize,
    keys: Vec<u16>,
    values: Vec<u16>,
}

impl KvCache {
    pub fn new(kv_heads: usize, head_dim: usize) -> Self {
        KvCache {
            kv_heads,
            head_dim,
            capacity: 0,
            len: 0,
            keys: Vec::new(),
            values: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The first key pair (in pairs) of a KV head.
    fn kv_head_keys(&self, head: usize) -> usize {
        head * self.capacity * self.head_dim / 2
    }

    /// The first value pair (in pairs) of a KV head.
    fn kv_head_values(&self, head: usize) -> usize {
        head * self.head_dim * self.capacity / 2
    }

    /// Where dimension `dim` of the key of `position` of `head` is, for a capacity.
    fn key_at(&self, capacity: usize, head: usize, position: usize, dim: usize) -> usize {
        let run = head * capacity / LANES + position / LANES;
        ((run * (self.head_dim / 2) + dim / 2) * LANES + position % LANES) * 2 + dim % 2
    }

    /// Where dimension `dim` of the value of `position` of `head` is, for a capacity.
    fn value_at(&self, capacity: usize, head: usize, position: usize, dim: usize) -> usize {
        let run = head * self.head_dim / LANES + dim / LANES;
        ((run * (capacity / 2) + position / 2) * LANES + dim % LANES) * 2 + position % 2
    }

    /// Appends `count` positions: row `i` of `keys` and `values` holds every KV head's vector
    /// of position `len + i`, side by side, each with `stride` between rows.
    pub fn append(&mut self, keys: &[f32], values: &[f32], stride: usize, count: usize) {
        let (h, d) = (self.kv_heads, self.head_dim);
        let width = h * d;
        assert!(
            stride >= width
                && (count == 0
                    || (keys.len() >= (count - 1) * stride + width
                        && values.len() >= (count - 1) * stride + width)),
            "kv shape"
        );
        let needed = self.len + count;
        if needed > self.capacity {
            // A power of two, at least 256: a multiple of 32, so that sixteen positions (and
            // sixteen pairs of them) past any in-range start stay inside.
            let capacity = needed.next_power_of_two().max(256);
            let mut new_keys = vec![0u16; h * d * capacity];
            let mut new_values = vec![0u16; h * d * capacity];
            for head in 0..h {
                for position in 0..self.len {
                    for dim in 0..d {
                        new_keys[self.key_at(capacity, head, position, dim)] =
                            self.keys[self.key_at(self.capacity, head, position, dim)];
                        new_values[self.value_at(capacity, head, position, dim)] =
                            self.values[self.value_at(self.capacity, head, position, dim)];
                    }
                }
            }
            self.keys = new_keys;
            self.values = new_values;
            self.capacity = capacity;
        }
        let cap = self.capacity;
        for i in 0..count {
            let position = self.len + i;
            for head in 0..h {
                for dim in 0..d {
                    let at = i * stride + head * d + dim;
                    let k = self.key_at(cap, head, position, dim);
                    self.keys[k] = to_bf16(keys[at]);
                    let v = self.value_at(cap, head, position, dim);
                    self.values[v] = to_bf16(values[at]);
                }
            }
        }
        self.len = needed;
    }
}

/// f32 to bfloat16, rounding to nearest even (values here are finite).
fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    ((bits + 0x7fff + ((bits >> 16) & 1)) >> 16) as u16
}

/// Scratch memory of one attention job.
#[derive(Default)]
struct AttentionScratch {
    /// [`QUERIES`] rows of scores (f32), padded to 32 positions.
    scores: Vec<f32>,
    /// The same rows as bfloat16 probabilities, zero past each query's own position.
    probs: Vec<u16>,
    /// [`QUERIES`] query rows in bfloat16, scaled by `1/sqrt(head_dim)`.
    queries: Vec<u16>,
}

/// Causal grouped-query attention of `rows` queries, the last `rows` positions of `cache`
/// (already appended): row `i` of `queries` (stride `stride`) holds every head's query, and
/// row `i` of `context` (`heads x head_dim` wide) gets every head's output. Query head `h`
/// reads KV head `h / (heads / kv_heads)`. Products in bfloat16 with f32 sums (as the model
/// runs in bfloat16 on GPUs), softmax in f32.
pub fn attention(
    _cpu: Vnni,
    queries: &[f32],
    stride: usize,
    rows: usize,
    heads: usize,
    cache: &KvCache,
    context: &mut [f32],
) {
    let d = cache.head_dim;
    let width = heads * d;
    assert!(
        rows > 0
            && rows <= cache.len
            && heads > 0
            && heads.is_multiple_of(cache.kv_heads)
            && d.is_multiple_of(LANES)
            && stride >= width
            && queries.len() >= (rows - 1) * stride + width
            && context.len() == rows * width,
        "attention shape"
    );
    let offset = cache.len - rows;
    let group = heads / cache.kv_heads;
    if rows == 1 && group <= QUERIES {
        // Decode: one job per KV head, its query heads together, so that each KV head's keys
        // and values are read once, and by both cores between them.
        let padded = cache.len.next_multiple_of(2 * LANES);
        context.par_chunks_mut(group * d).enumerate().for_each_init(
            AttentionScratch::default,
            |scratch, (kv_head, out)| {
                scratch.fit(padded, d);
                let job = AttendJob {
                    queries: &queries[kv_head * group * d..],
                    stride: d,
                    count: group,
                    position: offset,
                    step: 0,
                    cache,
                    kv_head,
                };
                // SAFETY: AVX-512F and BF16 proven by the token; the group's queries are
                // inside the query row (`heads x head_dim` wide); all are at position
                // `offset < cache.len`; the scratch was fitted; `out` is this job's own
                // `group x head_dim` span of `context`.
                unsafe { attend_any(&job, scratch, out.as_mut_ptr(), d) }
            },
        );
        return;
    }
    context
        .par_chunks_mut(QUERIES * width)
        .enumerate()
        .for_each_init(AttentionScratch::default, |scratch, (tile, context)| {
            let first = tile * QUERIES;
            let count = context.len() / width;
            scratch.fit((offset + first + count).next_multiple_of(2 * LANES), d);
            for head in 0..heads {
                let job = AttendJob {
                    queries: &queries[first * stride + head * d..],
                    stride,
                    count,
                    position: offset + first,
                    step: 1,
                    cache,
                    kv_head: head / group,
                };
                let out = context[head * d..].as_mut_ptr();
                // SAFETY: AVX-512F and BF16 proven by the token; queries `first..first +
                // count` are inside `queries` and attend over positions below `offset + first
                // + count <= cache.len`; the scratch was fitted for them; `out` is inside this
                // job's own rows of `context` (`count` rows of `width`, this head's columns).
                unsafe { attend_any(&job, scratch, out, width) }
            }
        });
}

impl AttentionScratch {
    /// Sizes the buffers for [`QUERIES`] queries over `padded` positions.
    fn fit(&mut self, padded: usize, head_dim: usize) {
        self.scores.resize(QUERIES * padded, 0.0);
        self.probs.resize(QUERIES * padded, 0);
        self.queries.resize(QUERIES * head_dim, 0);
    }
}

/// [`attend`] with the fewest query slots that hold `job.count`.
///
/// # Safety
///
/// As [`attend`], with `job.count <= QUERIES`.
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn attend_any(job: &AttendJob, scratch: &mut AttentionScratch, out: *mut f32, ldo: usize) {
    unsafe {
        match job.count {
            1 => attend::<1>(job, scratch, out, ldo),
            2 => attend::<2>(job, scratch, out, ldo),
            3 | 4 => attend::<4>(job, scratch, out, ldo),
            _ => attend::<QUERIES>(job, scratch, out, ldo),
        }
    }
}

/// What one head's attention over one tile of queries reads.
struct AttendJob<'a> {
    /// The first query's row (stride `stride`), this head's `head_dim` values first.
    queries: &'a [f32],
    stride: usize,
    /// Queries in the tile (up to [`QUERIES`]); missing ones repeat the last.
    count: usize,
    /// The first query's position.
    position: usize,
    /// Positions between consecutive queries: 1 for a run of tokens, 0 for the heads of one
    /// token.
    step: usize,
    cache: &'a KvCache,
    kv_head: usize,
}

/// Attention of up to `Q` consecutive queries of one head over the cache's positions up to
/// each one's own.
///
/// # Safety
///
/// The CPU supports AVX-512F and BF16; `1 <= job.count <= Q <= QUERIES`, `job.queries` holds
/// `count` rows of `head_dim` (stride `job.stride`); the last query's position is below
/// `cache.len`; the scratch was fitted to that position plus one, rounded up to 32;
/// `out` points at `count` writable rows of `head_dim` (stride `ldo`) no other thread touches
/// meanwhile.
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn attend<const Q: usize>(
    job: &AttendJob,
    scratch: &mut AttentionScratch,
    out: *mut f32,
    ldo: usize,
) {
    unsafe {
        let cache = job.cache;
        let (d, cap) = (cache.head_dim, cache.capacity);
        let keys = job.position + (job.count - 1) * job.step + 1;
        let padded = keys.next_multiple_of(2 * LANES);
        let scale = _mm512_set1_ps(1.0 / (d as f32).sqrt());
        // Queries in bf16, scaled; missing rows repeat the last query.
        for q in 0..Q {
            let row = job.queries.as_ptr().add(q.min(job.count - 1) * job.stride);
            for i in (0..d).step_by(LANES) {
                let v = _mm512_mul_ps(_mm512_loadu_ps(row.add(i)), scale);
                let h: __m256i = std::mem::transmute(_mm512_cvtneps_pbh(v));
                _mm256_storeu_si256(
                    scratch.queries.as_mut_ptr().add(q * d + i) as *mut __m256i,
                    h,
                );
            }
        }
        let query_pairs = scratch.queries.as_ptr() as *const i32;
        let key_pairs = (cache.keys.as_ptr() as *const u32).add(cache.kv_head_keys(job.kv_head));
        let s = scratch.scores.as_mut_ptr();
        // scores[q][j] = q . k_j, two runs of sixteen positions at a time (sixteen
        // accumulators hide the products' latency), two dimensions per step. A second run past
        // `keys` reads inside the capacity (a multiple of 32) and its scores are not used.
        let half = d / 2;
        for j in (0..keys).step_by(2 * LANES) {
            let mut acc = [[_mm512_setzero_ps(); 2]; Q];
            let run = key_pairs.add(j / LANES * half * LANES);
            for pair in 0..half {
                let k0: __m512bh = std::mem::transmute(_mm512_loadu_si512(
                    run.add(pair * LANES) as *const __m512i
                ));
                let k1: __m512bh = std::mem::transmute(_mm512_loadu_si512(
                    run.add((half + pair) * LANES) as *const __m512i,
                ));
                for (q, acc) in acc.iter_mut().enumerate() {
                    let x: __m512bh =
                        std::mem::transmute(_mm512_set1_epi32(*query_pairs.add(q * half + pair)));
                    acc[0] = _mm512_dpbf16_ps(acc[0], x, k0);
                    acc[1] = _mm512_dpbf16_ps(acc[1], x, k1);
                }
            }
            for (q, acc) in acc.iter().enumerate() {
                _mm512_storeu_ps(s.add(q * padded + j), acc[0]);
                _mm512_storeu_ps(s.add(q * padded + j + LANES), acc[1]);
            }
        }
        for q in 0..Q.min(job.count) {
            let own = job.position + q * job.step + 1;
            let row = std::slice::from_raw_parts_mut(s.add(q * padded), own);
            let probs =
                std::slice::from_raw_parts_mut(scratch.probs.as_mut_ptr().add(q * padded), padded);
            softmax_bf16(row, probs);
        }
        let values = PairedValues {
            probs: scratch.probs.as_ptr() as *const i32,
            padded,
            values: (cache.values.as_ptr() as *const u32).add(cache.kv_head_values(job.kv_head)),
            capacity: cap,
            pairs: keys.div_ceil(2),
            count: job.count,
        };
        if d.is_multiple_of(2 * LANES) {
            weigh_values::<Q, 2>(&values, d, out, ldo);
        } else {
            weigh_values::<Q, 1>(&values, d, out, ldo);
        }
    }
}

/// What [`weigh_values`] reads: bf16 probabilities (pairs, rows of `padded` positions) and one
/// KV head's values as the cache lays them out.
struct PairedValues {
    probs: *const i32,
    padded: usize,
    values: *const u32,
    capacity: usize,
    /// Position pairs to sum over.
    pairs: usize,
    /// Query rows to write.
    count: usize,
}

/// `out[q] = sum_j p[q][j] v_j`, `C` runs of sixteen dimensions at a time (`Q x C`
/// accumulators), two positions per step.
///
/// # Safety
///
/// The CPU supports AVX-512F and BF16; `p.probs` holds `Q` rows of `p.padded` bf16 values with
/// `2 x p.pairs <= p.padded`; `p.values` is a KV head's values in a cache of `p.capacity`
/// positions, `2 x p.pairs <= p.capacity`; `head_dim` is a multiple of `16 x C`; `out` points at
/// `p.count <= Q` writable rows of `head_dim` (stride `ldo`) no other thread touches meanwhile.
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn weigh_values<const Q: usize, const C: usize>(
    p: &PairedValues,
    head_dim: usize,
    out: *mut f32,
    ldo: usize,
) {
    unsafe {
        let run_len = p.capacity / 2 * LANES;
        for dim in (0..head_dim).step_by(C * LANES) {
            let mut acc = [[_mm512_setzero_ps(); C]; Q];
            let run = p.values.add(dim / LANES * run_len);
            for pair in 0..p.pairs {
                let mut v = [std::mem::transmute::<__m512i, __m512bh>(_mm512_setzero_si512()); C];
                for (c, v) in v.iter_mut().enumerate() {
                    *v = std::mem::transmute::<__m512i, __m512bh>(_mm512_loadu_si512(
                        run.add(c * run_len + pair * LANES) as *const __m512i,
                    ));
                }
                for (q, acc) in acc.iter_mut().enumerate() {
                    let w: __m512bh = std::mem::transmute(_mm512_set1_epi32(
                        *p.probs.add(q * p.padded / 2 + pair),
                    ));
                    for (acc, &v) in acc.iter_mut().zip(&v) {
                        *acc = _mm512_dpbf16_ps(*acc, w, v);
                    }
                }
            }
            for (q, acc) in acc.iter().enumerate().take(p.count) {
                for (c, acc) in acc.iter().enumerate() {
                    _mm512_storeu_ps(out.add(q * ldo + dim + c * LANES), *acc);
                }
            }
        }
    }
}

/// Softmax of `scores` into bfloat16 `probs`, zero from `scores.len()` to the end of `probs`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
unsafe fn softmax_bf16(scores: &mut [f32], probs: &mut [u16]) {
    unsafe {
        softmax(scores);
        let n = scores.len();
        let (p, o) = (scores.as_ptr(), probs.as_mut_ptr());
        for i in (0..n).step_by(LANES) {
            let m = lane_mask(n - i);
            let h: __m256i =
                std::mem::transmute(_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, p.add(i))));
            _mm256_mask_storeu_epi16(o.add(i) as *mut i16, m, h);
        }
        probs[n..].fill(0);
    }
}

/// [`Vnni::detect`] for a test: `None`, with a "skipped" line the harness does not swallow,
/// where the CPU lacks the instructions.
#[cfg(test)]
pub(super) fn vnni_in_test() -> Option<Vnni> {
    let cpu = Vnni::detect();
    if cpu.is_none() {
        use std::io::Write;
        let test = std::thread::current()
            .name()
            .unwrap_or("a test")
            .to_string();
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {test} needs AVX-512 F, BW, VL, VNNI and BF16, which this CPU lacks"
        );
    }
    cpu
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1), so tests need no RNG crate.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Q8_0 bytes of a matrix (scales as f16 powers of two, so exact), and its values.
    fn q8_matrix(rows: usize, cols: usize, seed: u32) -> (Vec<u8>, Vec<f32>) {
        let v = values(rows * cols, seed);
        let mut bytes = Vec::new();
        let mut exact = Vec::new();
        for (b, block) in v.chunks_exact(BLOCK).enumerate() {
            // Scale 2^-(b % 4 + 6): f16 bits of 2^e are (e + 15) << 10.
            let e = -((b % 4) as i32 + 6);
            let scale = 2f32.powi(e);
            bytes.extend_from_slice(&(((e + 15) as u16) << 10).to_le_bytes());
            for &x in block {
                let q = (x * 127.0).round() as i8;
                bytes.push(q as u8);
                exact.push(q as f32 * scale);
            }
        }
        (bytes, exact)
    }

    #[test]
    fn f16_conversion_covers_normals_and_subnormals() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8000), 0.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
    }

    #[test]
    fn q8_product_matches_the_dequantized_product() {
        let Some(cpu) = vnni_in_test() else {
            return;
        };
        // Row counts that leave every tile remainder, one row (decode), stacked parts.
        for (rows, n, k) in [(1, 64, 64), (5, 64, 96), (13, 96, 32), (64, 128, 128)] {
            let (wa, ea) = q8_matrix(n - 32, k, 1);
            let (wb, eb) = q8_matrix(32, k, 2);
            let w = Q8Matrix::pack(&[(&wa, n - 32), (&wb, 32)], k).expect("shapes fit");
            let exact: Vec<f32> = ea.into_iter().chain(eb).collect();
            let x = values(rows * k, 3);
            let mut quant = QuantRows::default();
            quant.quantize(cpu, &x, rows, k);
            let residual = values(rows * n, 4);
            let mut out = residual.clone();
            matmul(cpu, &w, &quant, &mut out, true);
            let mut row = vec![0.0; k];
            for o in 0..n {
                w.row(o, &mut row);
                assert_eq!(row, exact[o * k..][..k], "row {o} unpacks");
            }
            // The activations as the kernel quantizes them: per block, round(x / d) with
            // d = max|x| / 127, ties to even.
            let xq: Vec<f64> = x
                .chunks_exact(BLOCK)
                .flat_map(|block| {
                    let d = block.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
                    let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
                    block
                        .iter()
                        .map(move |&v| (v * inv).round_ties_even() as f64 * d as f64)
                })
                .collect();
            for r in 0..rows {
                for o in 0..n {
                    let dot: f64 = (0..k)
                        .map(|i| xq[r * k + i] * exact[o * k + i] as f64)
                        .sum();
                    let want = dot + residual[r * n + o] as f64;
                    let got = out[r * n + o] as f64;
                    assert!(
                        (got - want).abs() < 1e-4 * (1.0 + want.abs()),
                        "{rows}x{n}x{k} [{r},{o}]: {got} vs {want}"
                    );
                }
            }
        }
    }
}

//! AVX-512 kernels for the CPU encoder: a matrix product over weights packed once at load, with
//! the element-wise work that follows it (bias, GELU, residual add) fused into its last step;
//! layer norm; one attention head; and vector `erf` and `exp`.
//!
//! Why hand-written: a profile of candle's BERT on this model (2 cores, AVX-512) showed the
//! matrix products running on the `gemm` crate's AVX2 kernel (its AVX-512 kernels need a nightly
//! feature), a scalar `erf` taking 12% of the time, a scalar `exp` 5%, and thread-pool and
//! allocation overhead on small element-wise ops. Here every weight matrix is packed into panels
//! of 32 output columns that the microkernel streams with two 512-bit loads per step, and the
//! element-wise ops run while the results are still in registers.
//!
//! Every kernel is an `unsafe` `#[target_feature]` function reached only through a safe wrapper
//! that takes an [`Avx512`] token, which exists only once the CPU has been checked.

use std::arch::x86_64::*;

use rayon::prelude::*;

/// Proof that this CPU supports AVX-512F; the safe wrappers below require one.
#[derive(Debug, Clone, Copy)]
pub struct Avx512(());

impl Avx512 {
    pub fn detect() -> Option<Self> {
        is_x86_feature_detected!("avx512f").then_some(Avx512(()))
    }
}

/// Output columns per packed weight panel: two 16-lane vectors.
const PANEL: usize = 32;
/// Rows per microkernel call: 8 rows x 2 vectors = 16 accumulator registers, which hides the
/// FMA latency and leaves registers for the two weight vectors and the broadcast input.
const ROWS: usize = 8;
const LANES: usize = 16;

/// What happens to `x W^T + b` before it is stored.
#[derive(Clone, Copy)]
pub enum Epilogue<'a> {
    /// Store as is.
    None,
    /// Apply the exact (erf) GELU.
    Gelu,
    /// Add this matrix (same shape as the output): the residual connection.
    Residual(&'a [f32]),
}

/// A linear layer `y = x W^T + b`, its weights packed for [`PackedLinear::forward`].
pub struct PackedLinear {
    in_features: usize,
    out_features: usize,
    /// Panel `p` holds, for each input feature `k`, the weights of outputs `32p..32p+32`
    /// (zeros past `out_features`), so the kernel reads one panel front to back.
    panels: Vec<f32>,
    /// The bias, zero-padded to whole panels.
    bias: Vec<f32>,
}

impl PackedLinear {
    /// Packs `weight`, row-major `[out_features x in_features]` as PyTorch stores it.
    pub fn new(weight: &[f32], bias: &[f32], out_features: usize, in_features: usize) -> Self {
        assert_eq!(weight.len(), out_features * in_features, "weight shape");
        assert_eq!(bias.len(), out_features, "bias shape");
        let panel_count = out_features.div_ceil(PANEL);
        let mut panels = vec![0.0; panel_count * in_features * PANEL];
        for (out, row) in weight.chunks_exact(in_features).enumerate() {
            let (panel, column) = (out / PANEL, out % PANEL);
            let base = panel * in_features * PANEL + column;
            for (k, &w) in row.iter().enumerate() {
                panels[base + k * PANEL] = w;
            }
        }
        let mut padded_bias = vec![0.0; panel_count * PANEL];
        padded_bias[..out_features].copy_from_slice(bias);
        PackedLinear {
            in_features,
            out_features,
            panels,
            bias: padded_bias,
        }
    }

    pub fn out_features(&self) -> usize {
        self.out_features
    }

    /// `out = epilogue(x W^T + b)` for `x` of `rows x in_features`; `out` is
    /// `rows x out_features`; `scratch` holds the packed copy of `x` (kept by the caller so
    /// its memory is reused from call to call). Panels are shared out among rayon's threads: each thread keeps its
    /// panel in cache while every row streams past it.
    pub fn forward(
        &self,
        _cpu: Avx512,
        x: &[f32],
        rows: usize,
        out: &mut [f32],
        epilogue: Epilogue,
        scratch: &mut Vec<f32>,
    ) {
        let (k, n) = (self.in_features, self.out_features);
        assert_eq!(x.len(), rows * k, "input shape");
        assert_eq!(out.len(), rows * n, "output shape");
        let residual = match epilogue {
            Epilogue::Residual(r) => {
                assert_eq!(r.len(), rows * n, "residual shape");
                r.as_ptr()
            }
            _ => std::ptr::null(),
        };
        let gelu = matches!(epilogue, Epilogue::Gelu);
        pack_rows(x, rows, k, scratch);
        let inputs = &scratch[..];
        let out_ptr = SharedMut(out.as_mut_ptr());
        let residual = SharedConst(residual);
        // Jobs are (chunk of rows, group of panels). A chunk of packed rows is sized to stay
        // in the core's L2 cache while every panel of the group streams past it; without
        // this, long batches re-read all rows from memory once per panel. Panels are split
        // into groups only when there are too few row chunks to keep every thread busy
        // (short batches, such as a single question).
        let blocks = rows.div_ceil(ROWS);
        let chunk_blocks = (ROW_CHUNK_BYTES / (k.min(DEPTH) * ROWS * 4)).max(1);
        let row_chunks = blocks.div_ceil(chunk_blocks);
        let panels = n.div_ceil(PANEL);
        let wanted_jobs = 2 * rayon::current_num_threads();
        let groups = wanted_jobs.div_ceil(row_chunks).clamp(1, panels);
        let group_panels = panels.div_ceil(groups);
        (0..row_chunks * groups).into_par_iter().for_each(|job| {
            let (chunk, group) = (job / groups, job % groups);
            let chunk_rows = chunk * chunk_blocks..((chunk + 1) * chunk_blocks).min(blocks);
            for depth_start in (0..k).step_by(DEPTH) {
                let depth = (k - depth_start).min(DEPTH);
                for panel in group * group_panels..((group + 1) * group_panels).min(panels) {
                    let columns = (n - panel * PANEL).min(PANEL);
                    let weights =
                        &self.panels[(panel * k + depth_start) * PANEL..][..depth * PANEL];
                    let bias = &self.bias[panel * PANEL..(panel + 1) * PANEL];
                    for block in chunk_rows.clone() {
                        let row = block * ROWS;
                        let offset = row * n + panel * PANEL;
                        let tile = Tile {
                            depth,
                            x: inputs[(block * k + depth_start) * ROWS..].as_ptr(),
                            weights: weights.as_ptr(),
                            bias: bias.as_ptr(),
                            out: out_ptr.at(offset),
                            out_stride: n,
                            rows: (rows - row).min(ROWS),
                            columns,
                            accumulate: depth_start > 0,
                            finish: depth_start + depth == k,
                            gelu,
                            residual: residual.at(offset),
                        };
                        // SAFETY: the token proves AVX-512F; the tile reads one packed block
                        // of `x` and this panel of weights and bias, and touches only rows
                        // row..row+tile.rows and this panel's columns of `out` and `residual`
                        // (shapes asserted above), so jobs on different threads write
                        // disjoint elements.
                        unsafe { tile.run() };
                    }
                }
            }
        });
    }
}

/// Input features per microkernel pass: long products (the feed-forward output, 1536 deep)
/// are cut into slices whose weight panel (`DEPTH x 32` floats, 32 KB) stays in L1 cache.
const DEPTH: usize = 256;

/// Packed input rows processed against all of a job's panels before moving on: a quarter of
/// a core's L2 cache on current x86 server parts (1 MB), leaving room for the weight panel.
const ROW_CHUNK_BYTES: usize = 256 * 1024;

/// Copies `x` (`rows x k`) into blocks of [`ROWS`] rows, each stored column by column (the
/// block's 8 values of input feature 0, then of feature 1, ...), zero-padded to whole blocks:
/// the microkernel then reads its 8 broadcast values per step from one cache line.
fn pack_rows(x: &[f32], rows: usize, k: usize, packed: &mut Vec<f32>) {
    packed.clear();
    packed.resize(rows.div_ceil(ROWS) * k * ROWS, 0.0);
    packed
        .par_chunks_mut(k * ROWS * 16)
        .zip(x.par_chunks(k * ROWS * 16))
        .for_each(|(packed, x)| {
            for (block, x) in packed.chunks_exact_mut(k * ROWS).zip(x.chunks(k * ROWS)) {
                for (r, row) in x.chunks_exact(k).enumerate() {
                    for (kk, &v) in row.iter().enumerate() {
                        block[kk * ROWS + r] = v;
                    }
                }
            }
        });
}

/// Raw output pointer shared by threads that write disjoint parts of it.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);
// SAFETY: only used where each thread writes a disjoint region (see the callers).
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// Through a method, so closures capture the wrapper (which is `Sync`), not the raw field.
    fn at(self, offset: usize) -> *mut f32 {
        self.0.wrapping_add(offset)
    }
}

#[derive(Clone, Copy)]
struct SharedConst(*const f32);
// SAFETY: read-only.
unsafe impl Send for SharedConst {}
unsafe impl Sync for SharedConst {}

impl SharedConst {
    /// Null stays null: it means "no residual".
    fn at(self, offset: usize) -> *const f32 {
        if self.0.is_null() {
            self.0
        } else {
            self.0.wrapping_add(offset)
        }
    }
}

/// One microkernel call: a block of [`ROWS`] packed rows times one panel.
struct Tile {
    depth: usize,
    /// A packed block (see [`pack_rows`]).
    x: *const f32,
    weights: *const f32,
    bias: *const f32,
    out: *mut f32,
    out_stride: usize,
    /// Rows of the block that exist (the rest is padding and is not stored).
    rows: usize,
    columns: usize,
    /// Add to what `out` holds (a later depth slice) instead of starting from the bias.
    accumulate: bool,
    /// The last depth slice: apply the epilogue.
    finish: bool,
    gelu: bool,
    residual: *const f32,
}

impl Tile {
    #[target_feature(enable = "avx512f")]
    unsafe fn run(&self) {
        unsafe {
            let masks = column_masks(self.columns);
            let bias0 = _mm512_loadu_ps(self.bias);
            let bias1 = _mm512_loadu_ps(self.bias.add(LANES));
            // A later depth slice starts from the partial sums in `out` (a merging masked
            // load: lanes left out keep the bias). Padding rows load nothing. Branch-free, so
            // the accumulators stay in registers.
            let slice_mask = if self.accumulate { 0xFFFF } else { 0 };
            let mut acc = [[bias0, bias1]; ROWS];
            for (r, acc) in acc.iter_mut().enumerate() {
                let row_mask = if r < self.rows { slice_mask } else { 0 };
                for (half, acc) in acc.iter_mut().enumerate() {
                    let at = r * self.out_stride + half * LANES;
                    let mask = masks[half] & row_mask;
                    *acc = _mm512_mask_loadu_ps(*acc, mask, self.out.wrapping_add(at));
                }
            }
            let (mut x, mut w) = (self.x, self.weights);
            for _ in 0..self.depth {
                let w0 = _mm512_loadu_ps(w);
                let w1 = _mm512_loadu_ps(w.add(LANES));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let a = _mm512_set1_ps(*x.add(r));
                    acc[0] = _mm512_fmadd_ps(a, w0, acc[0]);
                    acc[1] = _mm512_fmadd_ps(a, w1, acc[1]);
                }
                x = x.add(ROWS);
                w = w.add(PANEL);
            }
            // Every row is processed and padding rows are masked out of loads and stores:
            // a loop bounded by the row count would keep the accumulators in memory.
            for (r, acc) in acc.iter().enumerate() {
                let row_mask = if r < self.rows { 0xFFFF } else { 0 };
                for (half, mut v) in acc.iter().copied().enumerate() {
                    let mask = masks[half] & row_mask;
                    let at = r * self.out_stride + half * LANES;
                    if self.finish && self.gelu {
                        v = gelu(v);
                    }
                    if self.finish && !self.residual.is_null() {
                        let res = _mm512_maskz_loadu_ps(mask, self.residual.wrapping_add(at));
                        v = _mm512_add_ps(v, res);
                    }
                    _mm512_mask_storeu_ps(self.out.wrapping_add(at), mask, v);
                }
            }
        }
    }
}

/// Store masks for the two vectors of a panel with `columns` valid columns.
fn column_masks(columns: usize) -> [__mmask16; 2] {
    let mask = |n: usize| -> __mmask16 {
        if n >= LANES {
            0xFFFF
        } else {
            ((1u32 << n) - 1) as __mmask16
        }
    };
    [mask(columns), mask(columns.saturating_sub(LANES))]
}

/// Mask for the first `n` (at most 16) lanes.
fn lane_mask(n: usize) -> __mmask16 {
    column_masks(n)[0]
}

/// Layer norm of each `width`-wide row of `x`, in place: `(x - mean) / sqrt(var + eps) * gamma
/// + beta`.
pub fn layer_norm(
    _cpu: Avx512,
    x: &mut [f32],
    width: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) {
    assert!(
        width > 0 && x.len().is_multiple_of(width),
        "layer norm shape"
    );
    assert!(
        gamma.len() == width && beta.len() == width,
        "layer norm weights"
    );
    x.par_chunks_mut(width * 32).for_each(|rows| {
        for row in rows.chunks_exact_mut(width) {
            // SAFETY: AVX-512F proven by the token; all slices are `width` long.
            unsafe { layer_norm_row(row, gamma, beta, eps) }
        }
    });
}

#[target_feature(enable = "avx512f")]
unsafe fn layer_norm_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    unsafe {
        let n = row.len();
        let p = row.as_mut_ptr();
        let mut sum = _mm512_setzero_ps();
        for i in (0..n).step_by(LANES) {
            let m = lane_mask(n - i);
            sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, p.add(i)));
        }
        let mean = _mm512_reduce_add_ps(sum) / n as f32;
        let mean_v = _mm512_set1_ps(mean);
        let mut squares = _mm512_setzero_ps();
        for i in (0..n).step_by(LANES) {
            let m = lane_mask(n - i);
            let d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, p.add(i)), mean_v);
            squares = _mm512_fmadd_ps(d, d, squares);
        }
        let variance = _mm512_reduce_add_ps(squares) / n as f32;
        let inv = _mm512_set1_ps(1.0 / (variance + eps).sqrt());
        for i in (0..n).step_by(LANES) {
            let m = lane_mask(n - i);
            let d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, p.add(i)), mean_v);
            let g = _mm512_maskz_loadu_ps(m, gamma.as_ptr().add(i));
            let b = _mm512_maskz_loadu_ps(m, beta.as_ptr().add(i));
            let y = _mm512_fmadd_ps(_mm512_mul_ps(d, inv), g, b);
            _mm512_mask_storeu_ps(p.add(i), m, y);
        }
    }
}

/// Where one sequence's tokens sit among the packed rows.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

/// Multi-head self-attention for every sequence: `qkv` holds, per token row, the queries, keys
/// and values side by side (`3 x hidden` wide); the heads' outputs go to `context`
/// (`hidden` wide). Sequences are packed without padding, so no mask is needed: each one
/// attends over exactly its own rows. Work is shared out by (sequence, head).
pub fn attention(
    _cpu: Avx512,
    qkv: &[f32],
    spans: &[Span],
    hidden: usize,
    heads: usize,
    context: &mut [f32],
) {
    assert!(
        heads > 0 && hidden.is_multiple_of(heads),
        "heads must divide hidden size"
    );
    let rows = spans.iter().map(|s| s.start + s.len).max().unwrap_or(0);
    assert!(qkv.len() >= rows * 3 * hidden, "qkv shape");
    assert!(context.len() >= rows * hidden, "context shape");
    let out = SharedMut(context.as_mut_ptr());
    let head_dim = hidden / heads;
    (0..spans.len() * heads).into_par_iter().for_each(|job| {
        let (span, head) = (spans[job / heads], job % heads);
        let padded = span.len.next_multiple_of(LANES);
        let mut scratch = HeadScratch {
            keys_t: vec![0.0; head_dim * padded],
            scores: vec![0.0; QUERIES * padded],
            queries: vec![0.0; QUERIES * head_dim],
        };
        // SAFETY: AVX-512F proven by the token; reads stay inside this span's rows of `qkv`
        // (asserted above); each (sequence, head) job writes only its own rows and head columns
        // of `context`, so jobs never write the same element.
        unsafe {
            attend(
                qkv,
                span,
                hidden,
                head_dim,
                head * head_dim,
                &mut scratch,
                out,
            )
        };
    });
}

/// Queries handled together: eight independent accumulators keep both FMA units busy, where
/// one query at a time would wait on each FMA's latency.
const QUERIES: usize = 8;

struct HeadScratch {
    /// This head's keys, transposed: `head_dim` rows of the span's length (padded to 16).
    keys_t: Vec<f32>,
    /// Attention weights of [`QUERIES`] queries, one padded row each.
    scores: Vec<f32>,
    /// [`QUERIES`] query rows, pre-scaled by `1/sqrt(head_dim)`.
    queries: Vec<f32>,
}

#[target_feature(enable = "avx512f")]
unsafe fn attend(
    qkv: &[f32],
    span: Span,
    hidden: usize,
    head_dim: usize,
    column: usize,
    scratch: &mut HeadScratch,
    out: SharedMut,
) {
    unsafe {
        let stride = 3 * hidden;
        let padded = span.len.next_multiple_of(LANES);
        let row = |i: usize| (span.start + i) * stride;
        for j in 0..span.len {
            let key = &qkv[row(j) + hidden + column..][..head_dim];
            for (d, &k) in key.iter().enumerate() {
                scratch.keys_t[d * padded + j] = k;
            }
        }
        let scale = 1.0 / (head_dim as f32).sqrt();
        let keys_t = scratch.keys_t.as_ptr();
        let scores = scratch.scores.as_mut_ptr();
        let values = qkv.as_ptr().add(2 * hidden + column);
        for first in (0..span.len).step_by(QUERIES) {
            let count = (span.len - first).min(QUERIES);
            for q in 0..count {
                let query = &qkv[row(first + q) + column..][..head_dim];
                for (s, &x) in scratch.queries[q * head_dim..][..head_dim]
                    .iter_mut()
                    .zip(query)
                {
                    *s = x * scale;
                }
            }
            let queries = scratch.queries.as_ptr();
            // scores[q][j] = q . k_j, sixteen keys at a time.
            for j in (0..padded).step_by(LANES) {
                let mut acc = [_mm512_setzero_ps(); QUERIES];
                for d in 0..head_dim {
                    let k = _mm512_loadu_ps(keys_t.add(d * padded + j));
                    for (q, acc) in acc.iter_mut().enumerate() {
                        let x = _mm512_set1_ps(*queries.add(q * head_dim + d));
                        *acc = _mm512_fmadd_ps(x, k, *acc);
                    }
                }
                for (q, acc) in acc.iter().enumerate() {
                    _mm512_storeu_ps(scores.add(q * padded + j), *acc);
                }
            }
            for q in 0..count {
                softmax(&mut scratch.scores[q * padded..][..span.len]);
            }
            // out[q] = sum_j p[q][j] v_j, sixteen output dimensions at a time.
            for d in (0..head_dim).step_by(LANES) {
                let m = lane_mask(head_dim - d);
                let mut acc = [_mm512_setzero_ps(); QUERIES];
                for j in 0..span.len {
                    let v = _mm512_maskz_loadu_ps(m, values.add(row(j) + d));
                    for (q, acc) in acc.iter_mut().enumerate() {
                        let p = _mm512_set1_ps(*scores.add(q * padded + j));
                        *acc = _mm512_fmadd_ps(p, v, *acc);
                    }
                }
                for (q, acc) in acc.iter().enumerate().take(count) {
                    let at = (span.start + first + q) * hidden + column + d;
                    _mm512_mask_storeu_ps(out.at(at), m, *acc);
                }
            }
        }
    }
}

/// Softmax of a row in place.
#[target_feature(enable = "avx512f")]
unsafe fn softmax(x: &mut [f32]) {
    unsafe {
        let n = x.len();
        let p = x.as_mut_ptr();
        let mut max = _mm512_set1_ps(f32::NEG_INFINITY);
        for i in (0..n).step_by(LANES) {
            let m = lane_mask(n - i);
            max = _mm512_mask_max_ps(max, m, max, _mm512_maskz_loadu_ps(m, p.add(i)));
        }
        let max = _mm512_set1_ps(_mm512_reduce_max_ps(max));
        let mut sum = _mm512_setzero_ps();
        for i in (0..n).step_by(LANES) {
            let m = lane_mask(n - i);
            let e = exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p.add(i)), max));
            sum = _mm512_mask_add_ps(sum, m, sum, e);
            _mm512_mask_storeu_ps(p.add(i), m, e);
        }
        let inv = _mm512_set1_ps(1.0 / _mm512_reduce_add_ps(sum));
        for i in (0..n).step_by(LANES) {
            let m = lane_mask(n - i);
            let y = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, p.add(i)), inv);
            _mm512_mask_storeu_ps(p.add(i), m, y);
        }
    }
}

/// `e^x` per lane: `2^n * e^r` with `n = round(x / ln 2)`, `|r| <= ln2 / 2`, and `e^r` from its
/// degree-6 Taylor polynomial (relative error about 1e-7, below f32's own rounding).
#[target_feature(enable = "avx512f")]
fn exp(x: __m512) -> __m512 {
    let x = _mm512_max_ps(
        _mm512_min_ps(x, _mm512_set1_ps(88.0)),
        _mm512_set1_ps(-88.0),
    );
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
        _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
    );
    // ln 2 split in two so that n * ln2 subtracts without rounding error.
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_145_75), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428_606_8e-6), r);
    let mut p = _mm512_set1_ps(1.0 / 720.0);
    for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
    }
    _mm512_scalef_ps(p, n)
}

/// Exact GELU, `x/2 * (1 + erf(x / sqrt 2))`, as BERT's `gelu` activation defines it.
#[target_feature(enable = "avx512f")]
fn gelu(x: __m512) -> __m512 {
    let e = erf(_mm512_mul_ps(
        x,
        _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2),
    ));
    _mm512_mul_ps(
        _mm512_mul_ps(x, _mm512_set1_ps(0.5)),
        _mm512_add_ps(e, _mm512_set1_ps(1.0)),
    )
}

/// `erf` per lane: the rational approximation Eigen and XLA use (odd degree-13 over even
/// degree-8 polynomial on [-4, 4], where `erf` reaches 1 in f32), within 1e-7 of the exact value.
#[target_feature(enable = "avx512f")]
fn erf(x: __m512) -> __m512 {
    let x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(4.0)), _mm512_set1_ps(-4.0));
    let x2 = _mm512_mul_ps(x, x);
    let mut p = _mm512_set1_ps(-2.726_142_3e-10);
    for c in [
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.954_6e-3,
        -1.609_603_3e-2,
    ] {
        p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(c));
    }
    let mut q = _mm512_set1_ps(-1.456_607_2e-5);
    for c in [
        -2.133_740_6e-4,
        -1.682_827e-3,
        -7.373_329e-3,
        -1.426_473_9e-2,
    ] {
        q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(c));
    }
    _mm512_div_ps(_mm512_mul_ps(x, p), q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu() -> Option<Avx512> {
        let cpu = Avx512::detect();
        if cpu.is_none() {
            eprintln!("skipped: this CPU lacks AVX-512F");
        }
        cpu
    }

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

    fn naive_linear(x: &[f32], w: &[f32], b: &[f32], rows: usize, n: usize, k: usize) -> Vec<f32> {
        let mut y = vec![0.0; rows * n];
        for r in 0..rows {
            for o in 0..n {
                let dot: f64 = (0..k)
                    .map(|i| x[r * k + i] as f64 * w[o * k + i] as f64)
                    .sum();
                y[r * n + o] = (dot + b[o] as f64) as f32;
            }
        }
        y
    }

    fn scalar_gelu(x: f32) -> f32 {
        let erf = libm_erf(x as f64 / std::f64::consts::SQRT_2);
        (0.5 * x as f64 * (1.0 + erf)) as f32
    }

    /// erf by its Taylor series (exact enough for |x| < 3), so tests need no libm crate.
    fn libm_erf(x: f64) -> f64 {
        if x.abs() > 5.0 {
            return x.signum();
        }
        let (mut term, mut sum, mut n) = (x, x, 0.0);
        while term.abs() > 1e-17 {
            n += 1.0;
            term *= -x * x / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn packed_linear_matches_naive_product_for_ragged_shapes() {
        let Some(cpu) = cpu() else { return };
        // Row counts that leave every tile remainder; output widths that leave partial panels.
        for (rows, n, k) in [
            (1, 32, 8),
            (7, 40, 17),
            (13, 96, 64),
            (29, 33, 5),
            (8, 1, 3),
        ] {
            let (x, w, b) = (values(rows * k, 1), values(n * k, 2), values(n, 3));
            let linear = PackedLinear::new(&w, &b, n, k);
            let mut out = vec![f32::NAN; rows * n];
            linear.forward(cpu, &x, rows, &mut out, Epilogue::None, &mut Vec::new());
            let expected = naive_linear(&x, &w, &b, rows, n, k);
            for (got, want) in out.iter().zip(&expected) {
                assert!((got - want).abs() < 1e-4, "{rows}x{n}x{k}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn epilogues_apply_gelu_and_residual_once_after_the_last_depth_slice() {
        let Some(cpu) = cpu() else { return };
        let (rows, n, k) = (11, 48, DEPTH + 24);
        let (x, w, b) = (values(rows * k, 4), values(n * k, 5), values(n, 6));
        let linear = PackedLinear::new(&w, &b, n, k);
        let plain = naive_linear(&x, &w, &b, rows, n, k);
        let mut out = vec![0.0; rows * n];
        linear.forward(cpu, &x, rows, &mut out, Epilogue::Gelu, &mut Vec::new());
        for (got, &y) in out.iter().zip(&plain) {
            assert!((got - scalar_gelu(y)).abs() < 1e-5, "{got} vs gelu({y})");
        }
        let residual = values(rows * n, 7);
        linear.forward(
            cpu,
            &x,
            rows,
            &mut out,
            Epilogue::Residual(&residual),
            &mut Vec::new(),
        );
        for ((got, y), r) in out.iter().zip(&plain).zip(&residual) {
            assert!((got - (y + r)).abs() < 1e-4);
        }
    }

    #[test]
    fn gelu_is_within_float_rounding_of_exact() {
        let Some(_) = cpu() else { return };
        let xs: Vec<f32> = (-800..800).map(|i| i as f32 / 100.0).collect();
        for chunk in xs.chunks(LANES) {
            let mut out = [0.0f32; LANES];
            // SAFETY: AVX-512F checked above; chunks are 16 long.
            unsafe { _mm512_storeu_ps(out.as_mut_ptr(), gelu(_mm512_loadu_ps(chunk.as_ptr()))) };
            for (&x, &y) in chunk.iter().zip(&out) {
                let want = scalar_gelu(x);
                assert!(
                    (y - want).abs() <= 2e-6 * want.abs().max(1.0),
                    "gelu({x}) = {y}, want {want}"
                );
            }
        }
    }

    #[test]
    fn softmax_matches_scalar_and_ignores_nothing_past_the_row() {
        let Some(_) = cpu() else { return };
        for n in [1, 5, 16, 17, 40] {
            let row: Vec<f32> = values(n, n as u32).iter().map(|v| v * 30.0).collect();
            let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let total: f64 = row.iter().map(|&v| ((v - max) as f64).exp()).sum();
            let mut got = row.clone();
            // SAFETY: AVX-512F checked above.
            unsafe { softmax(&mut got) };
            for (g, &v) in got.iter().zip(&row) {
                let want = ((v - max) as f64).exp() / total;
                assert!((*g as f64 - want).abs() < 1e-6, "n={n}: {g} vs {want}");
            }
        }
    }

    #[test]
    fn layer_norm_matches_scalar() {
        let Some(cpu) = cpu() else { return };
        let width = 40;
        let mut x = values(3 * width, 8);
        let (gamma, beta) = (values(width, 9), values(width, 10));
        let expected: Vec<f32> = x
            .chunks(width)
            .flat_map(|row| {
                let mean = row.iter().sum::<f32>() / width as f32;
                let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / width as f32;
                let inv = 1.0 / (var + 1e-12).sqrt();
                let (gamma, beta) = (&gamma, &beta);
                row.iter()
                    .enumerate()
                    .map(move |(i, v)| (v - mean) * inv * gamma[i] + beta[i])
                    .collect::<Vec<_>>()
            })
            .collect();
        layer_norm(cpu, &mut x, width, &gamma, &beta, 1e-12);
        for (got, want) in x.iter().zip(&expected) {
            assert!((got - want).abs() < 1e-5);
        }
    }

    #[test]
    fn attention_matches_naive_per_sequence_without_crosstalk() {
        let Some(cpu) = cpu() else { return };
        let (hidden, heads) = (24, 3); // head_dim 8: exercises partial vectors
        let spans = [Span { start: 0, len: 3 }, Span { start: 3, len: 19 }];
        let rows = 22;
        let qkv = values(rows * 3 * hidden, 11);
        let mut context = vec![0.0; rows * hidden];
        attention(cpu, &qkv, &spans, hidden, heads, &mut context);
        let hd = hidden / heads;
        for span in spans {
            for h in 0..heads {
                for i in 0..span.len {
                    let q = |d: usize| qkv[(span.start + i) * 3 * hidden + h * hd + d] as f64;
                    let k = |j: usize, d: usize| {
                        qkv[(span.start + j) * 3 * hidden + hidden + h * hd + d] as f64
                    };
                    let v = |j: usize, d: usize| {
                        qkv[(span.start + j) * 3 * hidden + 2 * hidden + h * hd + d] as f64
                    };
                    let s: Vec<f64> = (0..span.len)
                        .map(|j| (0..hd).map(|d| q(d) * k(j, d)).sum::<f64>() / (hd as f64).sqrt())
                        .collect();
                    let max = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let total: f64 = s.iter().map(|x| (x - max).exp()).sum();
                    for d in 0..hd {
                        let want: f64 = (0..span.len)
                            .map(|j| (s[j] - max).exp() / total * v(j, d))
                            .sum();
                        let got = context[(span.start + i) * hidden + h * hd + d] as f64;
                        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
                    }
                }
            }
        }
    }
}

//! AVX-512 kernels for the CPU encoder: a matrix product over weights packed once at load (f32,
//! or bfloat16 on CPUs with AVX-512 BF16), with the element-wise work that follows it (bias,
//! GELU, residual add) fused into its last step; layer norm; attention; vector `erf` and `exp`.
//!
//! Why hand-written: a profile of candle's BERT on this model (2 cores, AVX-512) showed the
//! matrix products running on the `gemm` crate's AVX2 kernel (its AVX-512 kernels need a nightly
//! feature), a scalar `erf` taking 12% of the time, a scalar `exp` 5%, and thread-pool and
//! allocation overhead on small element-wise ops. Here every weight matrix is packed into panels
//! of 32 output columns that the microkernel streams with two 512-bit loads per step, and the
//! element-wise ops run while the results are still in registers.
//!
//! Every kernel is an `unsafe` `#[target_feature]` function reached only through a safe wrapper
//! that takes an [`Avx512`] token, which exists only once the CPU has been checked, and that
//! checks every other promise the kernel's memory accesses rest on (shapes, disjoint spans): no
//! safe function here can be called in a way that breaks memory safety. This is one of the two
//! places the library allows `unsafe` (the other is the memory-mapped weights in
//! [`super::Encoder::load`]).

#![allow(unsafe_code)]

use std::arch::x86_64::*;

use rayon::prelude::*;

/// Tests that need AVX-512 skip visibly, or fail where the machine must have it.
#[cfg(test)]
#[path = "../../tests/common/cpu.rs"]
pub(super) mod cpu_features;

/// Proof that this CPU supports AVX-512F (and whether it has AVX-512 BF16); the safe wrappers
/// below require one.
#[derive(Debug, Clone, Copy)]
pub struct Avx512 {
    bf16: bool,
}

impl Avx512 {
    pub fn detect() -> Option<Self> {
        is_x86_feature_detected!("avx512f").then(|| Avx512 {
            bf16: is_x86_feature_detected!("avx512bf16"),
        })
    }

    pub fn supports(self, precision: Precision) -> bool {
        match precision {
            Precision::F32 => true,
            Precision::Bf16 => self.bf16,
        }
    }

    /// [`Avx512::detect`] for a test that needs AVX-512F: `None` where the CPU lacks it (a
    /// visible skip, or a failure where the machine must have it: see [`cpu_features`]).
    #[cfg(test)]
    pub fn detect_in_test() -> Option<Self> {
        cpu_features::test_can_run(cpu_features::Feature::Avx512f)
            .then(|| Self::detect().expect("AVX-512F was just detected"))
    }

    /// This token claiming less: a CPU without AVX-512 BF16, for testing what is refused there
    /// on any AVX-512 CPU. (Claiming less than the CPU has is always sound.)
    #[cfg(test)]
    pub fn without_bf16(self) -> Self {
        Avx512 { bf16: false }
    }
}

/// Number format of a matrix product's weights and inputs (accumulation is always f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Exact: reproduces sentence-transformers.
    F32,
    /// bfloat16 products (AVX-512 BF16's `vdpbf16ps`): twice the multiply rate, with about
    /// three significant digits per weight and input.
    Bf16,
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

/// Weight panels: panel `p` holds, for each input feature `k`, the weights of outputs
/// `32p..32p+32` (zeros past `out_features`), so the kernel reads one panel front to back.
/// In bf16, features go in pairs: for each pair, each column's two weights side by side, as
/// `vdpbf16ps` multiplies them.
enum Panels {
    F32(Vec<f32>),
    Bf16(Vec<u16>),
}

/// A linear layer `y = x W^T + b`, its weights packed for [`PackedLinear::forward`].
pub struct PackedLinear {
    in_features: usize,
    out_features: usize,
    /// Input features as packed: rounded up to even in bf16 (the pad weights are zero).
    depth: usize,
    panels: Panels,
    /// The bias, zero-padded to whole panels.
    bias: Vec<f32>,
}

/// Reusable memory for a product's packed input (see [`PackedLinear::forward`]).
#[derive(Default)]
pub struct PackedInput {
    f32: Vec<f32>,
    /// bf16 pairs, one 32-bit word per two input features.
    bf16: Vec<u32>,
    /// One row in bf16, before it is spread over its block.
    row: Vec<u32>,
}

impl PackedLinear {
    /// Packs `weight`, row-major `[out_features x in_features]` as PyTorch stores it.
    pub fn new(
        weight: &[f32],
        bias: &[f32],
        out_features: usize,
        in_features: usize,
        precision: Precision,
    ) -> Self {
        assert_eq!(weight.len(), out_features * in_features, "weight shape");
        assert_eq!(bias.len(), out_features, "bias shape");
        let panel_count = out_features.div_ceil(PANEL);
        let depth = match precision {
            Precision::F32 => in_features,
            Precision::Bf16 => in_features.next_multiple_of(2),
        };
        // Where weight (out, k) goes; the same element index for both formats.
        let index = |out: usize, k: usize| {
            let (panel, column) = (out / PANEL, out % PANEL);
            match precision {
                Precision::F32 => (panel * depth + k) * PANEL + column,
                Precision::Bf16 => (panel * depth + k - k % 2) * PANEL + column * 2 + k % 2,
            }
        };
        let len = panel_count * depth * PANEL;
        let panels = match precision {
            Precision::F32 => {
                let mut panels = vec![0.0; len];
                for (out, row) in weight.chunks_exact(in_features).enumerate() {
                    for (k, &w) in row.iter().enumerate() {
                        panels[index(out, k)] = w;
                    }
                }
                Panels::F32(panels)
            }
            Precision::Bf16 => {
                let mut panels = vec![0u16; len];
                for (out, row) in weight.chunks_exact(in_features).enumerate() {
                    for (k, &w) in row.iter().enumerate() {
                        panels[index(out, k)] = to_bf16(w);
                    }
                }
                Panels::Bf16(panels)
            }
        };
        let mut padded_bias = vec![0.0; panel_count * PANEL];
        padded_bias[..out_features].copy_from_slice(bias);
        PackedLinear {
            in_features,
            out_features,
            depth,
            panels,
            bias: padded_bias,
        }
    }

    pub fn out_features(&self) -> usize {
        self.out_features
    }

    fn precision(&self) -> Precision {
        match self.panels {
            Panels::F32(_) => Precision::F32,
            Panels::Bf16(_) => Precision::Bf16,
        }
    }

    /// `out = epilogue(x W^T + b)` for `x` of `rows x in_features`; `out` is
    /// `rows x out_features`. `packed` receives the input in the kernel's layout (the caller
    /// keeps it, so its memory is reused from call to call).
    pub fn forward(
        &self,
        cpu: Avx512,
        x: &[f32],
        rows: usize,
        out: &mut [f32],
        epilogue: Epilogue,
        packed: &mut PackedInput,
    ) {
        let (k, n, depth) = (self.in_features, self.out_features, self.depth);
        assert!(cpu.supports(self.precision()), "CPU lacks this precision");
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
        // Element pointers to the packed inputs and weights; both formats index alike (a
        // bf16 input word holds two features, so its offsets are halved).
        let (inputs, weights, input_scale): (*const (), *const (), usize) = match &self.panels {
            Panels::F32(w) => {
                pack_rows(x, rows, k, &mut packed.f32);
                (packed.f32.as_ptr().cast(), w.as_ptr().cast(), 1)
            }
            Panels::Bf16(w) => {
                // SAFETY: `supports(Bf16)` was asserted above.
                unsafe { pack_rows_bf16(x, rows, k, packed) };
                (packed.bf16.as_ptr().cast(), w.as_ptr().cast(), 2)
            }
        };
        let (inputs, weights) = (SharedConst(inputs.cast()), SharedConst(weights.cast()));
        let precision = self.precision();
        let element = match precision {
            Precision::F32 => 4,
            Precision::Bf16 => 2,
        };
        let out_ptr = SharedMut(out.as_mut_ptr());
        let residual = SharedConst(residual);
        // Jobs are (chunk of rows, group of panels). A chunk of packed rows is sized to stay
        // in the core's L2 cache while every panel of the group streams past it; without
        // this, long batches re-read all rows from memory once per panel. Panels are split
        // into groups only when there are too few row chunks to keep every thread busy
        // (short batches, such as a single question).
        let blocks = rows.div_ceil(ROWS);
        let max_chunk_blocks = (ROW_CHUNK_BYTES / (depth.min(DEPTH) * ROWS * element)).max(1);
        let row_chunks = blocks.div_ceil(max_chunk_blocks);
        // Equal chunks: a short last chunk would leave a thread idle at the end.
        let chunk_blocks = blocks.div_ceil(row_chunks.max(1));
        let panels = n.div_ceil(PANEL);
        let wanted_jobs = JOBS_PER_THREAD * rayon::current_num_threads();
        let groups = wanted_jobs.div_ceil(row_chunks).clamp(1, panels);
        let group_panels = panels.div_ceil(groups);
        (0..row_chunks * groups).into_par_iter().for_each(|job| {
            let (chunk, group) = (job / groups, job % groups);
            let chunk_rows = chunk * chunk_blocks..((chunk + 1) * chunk_blocks).min(blocks);
            for depth_start in (0..depth).step_by(DEPTH) {
                let slice = (depth - depth_start).min(DEPTH);
                for panel in group * group_panels..((group + 1) * group_panels).min(panels) {
                    let columns = (n - panel * PANEL).min(PANEL);
                    let weight_at = (panel * depth + depth_start) * PANEL * element;
                    for block in chunk_rows.clone() {
                        let row = block * ROWS;
                        let offset = row * n + panel * PANEL;
                        let input_at = (block * depth + depth_start) * ROWS * 4 / input_scale;
                        let tile = Tile {
                            depth: slice,
                            x: inputs.byte_at(input_at),
                            weights: weights.byte_at(weight_at),
                            bias: self.bias[panel * PANEL..].as_ptr(),
                            out: out_ptr.at(offset),
                            out_stride: n,
                            rows: (rows - row).min(ROWS),
                            columns,
                            accumulate: depth_start > 0,
                            finish: depth_start + slice == depth,
                            gelu,
                            residual: residual.at(offset),
                        };
                        // SAFETY: the token proves AVX-512F (and BF16 for bf16 panels,
                        // asserted above); the tile reads one packed block of the input and
                        // this panel's slice of weights and bias, and touches only rows
                        // row..row+tile.rows and this panel's columns of `out` and `residual`
                        // (shapes asserted above), so jobs on different threads write
                        // disjoint elements.
                        unsafe {
                            match precision {
                                Precision::F32 if block == chunk_rows.start => {
                                    tile.run_f32::<true>()
                                }
                                Precision::F32 => tile.run_f32::<false>(),
                                Precision::Bf16 if block == chunk_rows.start => {
                                    tile.run_bf16::<true>()
                                }
                                Precision::Bf16 => tile.run_bf16::<false>(),
                            }
                        }
                    }
                }
            }
        });
    }
}

/// Jobs per thread a product is cut into at least: enough for work stealing to even out
/// threads that run at different speeds.
const JOBS_PER_THREAD: usize = 4;

/// Input features per microkernel pass: long products (the feed-forward output, 1536 deep)
/// are cut into slices whose weight panel (`DEPTH x 32` floats, 32 KB) stays in L1 cache.
/// Even, so bf16 pairs never straddle slices.
const DEPTH: usize = 256;

/// Packed input rows processed against all of a job's panels before moving on: a quarter of
/// a core's L2 cache on current x86 server parts (1 MB), leaving room for the weight panel.
const ROW_CHUNK_BYTES: usize = 256 * 1024;

/// Copies `x` (`rows x k`) into blocks of [`ROWS`] rows, each stored column by column (the
/// block's 8 values of input feature 0, then of feature 1, ...), zero-padded to whole blocks:
/// the microkernel then reads its 8 broadcast values per step from one cache line.
fn pack_rows(x: &[f32], rows: usize, k: usize, packed: &mut Vec<f32>) {
    // Only the last block's padding rows need zeros: everything else is overwritten below.
    packed.resize(rows.div_ceil(ROWS) * k * ROWS, 0.0);
    let last_block = (rows / ROWS) * k * ROWS;
    packed[last_block..].fill(0.0);
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

/// [`pack_rows`] for bf16: each row is rounded to bf16 sixteen values at a time, then its
/// pairs of features (one 32-bit word each) are spread over the block.
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn pack_rows_bf16(x: &[f32], rows: usize, k: usize, packed: &mut PackedInput) {
    let pairs = k.div_ceil(2);
    // As in `pack_rows`: only the last block's padding rows need zeros.
    packed.bf16.resize(rows.div_ceil(ROWS) * pairs * ROWS, 0);
    packed.bf16[(rows / ROWS) * pairs * ROWS..].fill(0);
    packed.row.resize(pairs.next_multiple_of(8), 0);
    let row_words = packed.row.as_mut_ptr();
    for (block, x) in packed
        .bf16
        .chunks_exact_mut(pairs * ROWS)
        .zip(x.chunks(k * ROWS))
    {
        for (r, row) in x.chunks_exact(k).enumerate() {
            for start in (0..k).step_by(LANES) {
                let m = lane_mask(k - start);
                // SAFETY: masked loads stay inside the row; each store of 16 bf16 (8 words)
                // stays inside `row`, sized to a multiple of 8 words.
                unsafe {
                    let v = _mm512_maskz_loadu_ps(m, row.as_ptr().add(start));
                    let h: __m256i = std::mem::transmute(_mm512_cvtneps_pbh(v));
                    _mm256_storeu_si256(row_words.add(start / 2).cast(), h);
                }
            }
            if k % 2 == 1 {
                // The odd feature's partner is padding: zero it (the weights are zero too).
                // SAFETY: word pairs-1 is inside `row`.
                unsafe { *row_words.add(pairs - 1) &= 0xFFFF };
            }
            for p in 0..pairs {
                // SAFETY: p < pairs <= row.len().
                block[p * ROWS + r] = unsafe { *row_words.add(p) };
            }
        }
    }
}

/// Rounds to the nearest bfloat16 (ties to even), as `vcvtneps2bf16` does.
fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_nan() {
        return ((bits >> 16) | 0x40) as u16;
    }
    ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) as u16
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

    fn byte_at(self, offset: usize) -> *const u8 {
        self.0.cast::<u8>().wrapping_add(offset)
    }
}

type Accumulators = [[__m512; 2]; ROWS];

/// One microkernel call: a block of [`ROWS`] packed rows times one panel.
struct Tile {
    /// Input features in this slice.
    depth: usize,
    /// A packed block (see [`pack_rows`] and [`pack_rows_bf16`]).
    x: *const u8,
    weights: *const u8,
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
    unsafe fn run_f32<const PREFETCH: bool>(&self) {
        unsafe {
            let mut acc = self.start();
            let (mut x, mut w) = (self.x.cast::<f32>(), self.weights.cast::<f32>());
            for _ in 0..self.depth {
                if PREFETCH {
                    // The first block to meet a weight slice brings it in from memory: ask
                    // for it 16 steps (2 KB) ahead, past the 4 KB page boundaries where the
                    // hardware prefetcher stops.
                    let ahead = w.wrapping_add(16 * PANEL).cast::<i8>();
                    _mm_prefetch::<_MM_HINT_T0>(ahead);
                    _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
                }
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
            self.end(acc);
        }
    }

    /// As [`Tile::run_f32`], two input features per step: each `vdpbf16ps` multiplies a
    /// broadcast pair of inputs with 16 columns' pairs of weights and adds both products.
    #[target_feature(enable = "avx512f,avx512bf16")]
    unsafe fn run_bf16<const PREFETCH: bool>(&self) {
        unsafe {
            let mut acc = self.start();
            let (mut x, mut w) = (self.x.cast::<i32>(), self.weights.cast::<__m512i>());
            for _ in 0..self.depth / 2 {
                if PREFETCH {
                    // As in `run_f32`: 16 steps ahead.
                    let ahead = w.wrapping_add(16 * 2).cast::<i8>();
                    _mm_prefetch::<_MM_HINT_T0>(ahead);
                    _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64));
                }
                let w0: __m512bh = std::mem::transmute(_mm512_loadu_si512(w));
                let w1: __m512bh = std::mem::transmute(_mm512_loadu_si512(w.add(1)));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let a: __m512bh = std::mem::transmute(_mm512_set1_epi32(*x.add(r)));
                    acc[0] = _mm512_dpbf16_ps(acc[0], a, w0);
                    acc[1] = _mm512_dpbf16_ps(acc[1], a, w1);
                }
                x = x.add(ROWS);
                w = w.add(2);
            }
            self.end(acc);
        }
    }

    /// Initial accumulators: the bias, or for a later depth slice the partial sums in `out`
    /// (a merging masked load: lanes left out keep the bias). Padding rows load nothing.
    /// Branch-free, so the accumulators stay in registers.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn start(&self) -> Accumulators {
        unsafe {
            let masks = column_masks(self.columns);
            let bias0 = _mm512_loadu_ps(self.bias);
            let bias1 = _mm512_loadu_ps(self.bias.add(LANES));
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
            acc
        }
    }

    /// Applies the epilogue (after the last slice) and stores. Every row is processed and
    /// padding rows are masked out of loads and stores: a loop bounded by the row count would
    /// keep the accumulators in memory.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn end(&self, acc: Accumulators) {
        unsafe {
            let masks = column_masks(self.columns);
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

/// Mask for the first `n` lanes (all sixteen from 16 up); also the writing model's kernels'.
pub(crate) fn lane_mask(n: usize) -> __mmask16 {
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
    let rows = covered_rows(spans);
    // Saturating: a product past `usize` is past any buffer too.
    assert!(
        qkv.len() >= rows.saturating_mul(hidden).saturating_mul(3),
        "qkv shape"
    );
    assert!(
        context.len() >= rows.saturating_mul(hidden),
        "context shape"
    );
    let out = SharedMut(context.as_mut_ptr());
    let head_dim = hidden / heads;
    // Scratch buffers are made once per rayon work split and reused by its jobs.
    let jobs = (0..spans.len() * heads).into_par_iter();
    jobs.for_each_init(HeadScratch::default, |scratch, job| {
        let (span, head) = (spans[job / heads], job % heads);
        scratch.fit(span.len, head_dim);
        // SAFETY: AVX-512F proven by the token; the span's rows are inside `qkv` and `context`
        // (asserted above); `scratch` was just fitted; each (sequence, head) job writes only
        // its own rows and head columns of `context`, and spans are disjoint (checked by
        // `covered_rows`), so jobs never write the same element.
        unsafe { attend(qkv, span, hidden, head_dim, head * head_dim, scratch, out) };
    });
}

/// The rows `spans` cover (the end of the last one), after checking what [`attention`]'s
/// soundness rests on: spans in order and disjoint, so that no two jobs write the same rows of
/// `context` at once, and ends that do not overflow. O(spans), before any thread starts.
fn covered_rows(spans: &[Span]) -> usize {
    let mut end = 0usize;
    for span in spans {
        assert!(
            span.start >= end,
            "attention spans must be sorted and disjoint: {span:?} starts before row {end}"
        );
        end = span
            .start
            .checked_add(span.len)
            .expect("attention span ends past usize::MAX");
    }
    end
}

/// Queries handled together: eight independent accumulators keep both FMA units busy, where
/// one query at a time would wait on each FMA's latency.
const QUERIES: usize = 8;

#[derive(Default)]
struct HeadScratch {
    /// This head's keys, transposed: `head_dim` rows of the span's length (padded to 16).
    keys_t: Vec<f32>,
    /// Attention weights of [`QUERIES`] queries, one padded row each.
    scores: Vec<f32>,
    /// [`QUERIES`] query rows, pre-scaled by `1/sqrt(head_dim)`.
    queries: Vec<f32>,
}

impl HeadScratch {
    /// Sizes the buffers for a sequence of `len` tokens. Old contents may stay: the padding
    /// lanes they leave only produce scores that are never read.
    fn fit(&mut self, len: usize, head_dim: usize) {
        let padded = len.next_multiple_of(LANES);
        self.keys_t.resize(head_dim * padded, 0.0);
        self.scores.resize(QUERIES * padded, 0.0);
        self.queries.resize(QUERIES * head_dim, 0.0);
    }
}

/// Attention of one head over one sequence, written to that head's columns of the span's rows
/// of `out`.
///
/// # Safety
///
/// The CPU supports AVX-512F; the span's rows lie inside `qkv` (`3 x hidden` wide) and inside
/// the buffer `out` points to (`hidden` wide); `scratch` was fitted to the span's length and
/// `head_dim`; and no other thread writes these rows and columns of `out` meanwhile.
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
pub(crate) unsafe fn softmax(x: &mut [f32]) {
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
pub(crate) fn exp(x: __m512) -> __m512 {
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
    use super::cpu_features::{test_can_run, Feature};
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
        let Some(cpu) = Avx512::detect_in_test() else {
            return;
        };
        // Row counts that leave every tile remainder; output widths that leave partial panels.
        for (rows, n, k) in [
            (1, 32, 8),
            (7, 40, 17),
            (13, 96, 64),
            (29, 33, 5),
            (8, 1, 3),
        ] {
            let (x, w, b) = (values(rows * k, 1), values(n * k, 2), values(n, 3));
            let linear = PackedLinear::new(&w, &b, n, k, Precision::F32);
            let mut out = vec![f32::NAN; rows * n];
            linear.forward(
                cpu,
                &x,
                rows,
                &mut out,
                Epilogue::None,
                &mut PackedInput::default(),
            );
            let expected = naive_linear(&x, &w, &b, rows, n, k);
            for (got, want) in out.iter().zip(&expected) {
                assert!((got - want).abs() < 1e-4, "{rows}x{n}x{k}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn bf16_products_equal_f32_products_of_bf16_rounded_values() {
        let Some(cpu) = Avx512::detect_in_test() else {
            return;
        };
        if !test_can_run(Feature::Avx512Bf16) {
            return;
        }
        assert!(cpu.supports(Precision::Bf16), "detected alike");
        let round = |v: &[f32]| -> Vec<f32> {
            v.iter()
                .map(|&x| f32::from_bits((to_bf16(x) as u32) << 16))
                .collect()
        };
        // Odd depths (a zero-padded last pair) and depths past one slice.
        for (rows, n, k) in [(1, 32, 7), (9, 40, 64), (17, 96, 2 * DEPTH + 3)] {
            let (x, w, b) = (values(rows * k, 12), values(n * k, 13), values(n, 14));
            let linear = PackedLinear::new(&w, &b, n, k, Precision::Bf16);
            let mut out = vec![f32::NAN; rows * n];
            let mut packed = PackedInput::default();
            linear.forward(cpu, &x, rows, &mut out, Epilogue::None, &mut packed);
            let expected = naive_linear(&round(&x), &round(&w), &b, rows, n, k);
            for (got, want) in out.iter().zip(&expected) {
                assert!((got - want).abs() < 1e-4, "{rows}x{n}x{k}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn bf16_rounding_is_to_nearest_even() {
        assert_eq!(to_bf16(1.0), 0x3F80);
        // 1 + 2^-8 is halfway between two bf16 values: ties go to the even one (1.0).
        assert_eq!(to_bf16(1.0 + 1.0 / 256.0), 0x3F80);
        assert_eq!(to_bf16(1.0 + 3.0 / 256.0), 0x3F82);
    }

    #[test]
    fn epilogues_apply_gelu_and_residual_once_after_the_last_depth_slice() {
        let Some(cpu) = Avx512::detect_in_test() else {
            return;
        };
        let (rows, n, k) = (11, 48, DEPTH + 24);
        let (x, w, b) = (values(rows * k, 4), values(n * k, 5), values(n, 6));
        let linear = PackedLinear::new(&w, &b, n, k, Precision::F32);
        let plain = naive_linear(&x, &w, &b, rows, n, k);
        let mut out = vec![0.0; rows * n];
        linear.forward(
            cpu,
            &x,
            rows,
            &mut out,
            Epilogue::Gelu,
            &mut PackedInput::default(),
        );
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
            &mut PackedInput::default(),
        );
        for ((got, y), r) in out.iter().zip(&plain).zip(&residual) {
            assert!((got - (y + r)).abs() < 1e-4);
        }
    }

    #[test]
    fn gelu_is_within_float_rounding_of_exact() {
        let Some(_) = Avx512::detect_in_test() else {
            return;
        };
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
        let Some(_) = Avx512::detect_in_test() else {
            return;
        };
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
        let Some(cpu) = Avx512::detect_in_test() else {
            return;
        };
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
        let Some(cpu) = Avx512::detect_in_test() else {
            return;
        };
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

    #[test]
    #[should_panic(expected = "attention spans must be sorted and disjoint")]
    fn overlapping_attention_spans_are_refused() {
        // Two jobs would write rows 2..3 of the context at once: a data race.
        covered_rows(&[Span { start: 0, len: 3 }, Span { start: 2, len: 4 }]);
    }

    #[test]
    fn attention_checks_its_spans_before_any_kernel_runs() {
        let Some(cpu) = Avx512::detect_in_test() else {
            return;
        };
        let (hidden, heads, rows) = (16, 2, 10);
        let qkv = values(rows * 3 * hidden, 15);
        let refused = |spans: &[Span]| {
            let mut context = vec![0.0; rows * hidden];
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                attention(cpu, &qkv, spans, hidden, heads, &mut context)
            }))
            .is_err()
        };
        let span = |start, len| Span { start, len };
        assert!(
            !refused(&[span(0, 4), span(4, 6)]),
            "adjacent spans are fine"
        );
        assert!(refused(&[span(0, 4), span(3, 6)]), "overlapping");
        assert!(refused(&[span(4, 6), span(0, 4)]), "out of order");
        assert!(refused(&[span(2, 2), span(2, 2)]), "the same rows twice");
        assert!(refused(&[span(0, 4), span(4, 7)]), "past the buffers");
        assert!(refused(&[span(usize::MAX, 2)]), "an end past usize::MAX");
    }

    #[test]
    fn attention_spans_cover_rows_up_to_the_last_end() {
        assert_eq!(covered_rows(&[]), 0);
        let spans = [
            Span { start: 0, len: 3 },
            Span { start: 5, len: 0 },
            Span { start: 5, len: 2 },
        ];
        assert_eq!(covered_rows(&spans), 7);
    }
}

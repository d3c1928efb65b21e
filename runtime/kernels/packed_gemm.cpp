// Packed fp32 GEMM for linear layers on AVX2 + FMA CPUs: archgen::packed_linear.
//
// y = x @ W.T + b, with W packed once (at load) into panels of 16 output features:
// packed[p][k][j] = W[16 p + j][k], zero past the last feature. A 6 x 16 tile of y
// lives in 12 ymm accumulators; each step over k loads one panel row (two vectors)
// and broadcasts one value of each of the six x rows, so the weight streams
// contiguously and x is read in place, with no per-call packing of either operand.
// Threads split the panels (the output features); x is blocked by rows (MC) and by
// depth (KC) so that a block of it stays in a core's L2 while the panels stream.
//
// runtime/packed.py builds this file with the C++ compiler that AOTInductor uses and
// loads it with torch.ops.load_library; the measurements behind KC, MC and the tile
// came from /tmp scratch runs (KC 128-1024, MC 96-all); bench/gemm_libraries.py times the result.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <immintrin.h>
#include <torch/library.h>

#include <algorithm>
#include <optional>

namespace {

constexpr int64_t NR = 16;  // output features per panel: two ymm vectors
constexpr int64_t MR = 6;   // rows of x per tile: 12 accumulators + 2 panel vectors + 1 broadcast
constexpr int64_t KC = 768;  // depth per pass: 128 rows x 768 floats of x (384 KiB) stay in L2
constexpr int64_t MC = 192;  // rows per block when there are many

// y[0:M, 0:ncols] (+)= x[0:M, 0:kc] @ panel[0:kc, 0:ncols]; M <= MR, ncols <= NR. With
// `first`, y starts from the bias (or zero) instead of its stored value.
template <int M>
void tile(const float* x, int64_t ldx, const float* panel, int64_t kc, float* y, int64_t ldy,
          const float* bias, bool first, int64_t ncols) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const bool full = ncols == NR;
  float edge[MR][NR];  // a partial panel goes through this copy, so no access passes ncols
  if (!full) {
    for (int i = 0; i < M; ++i)
      for (int64_t j = 0; j < NR; ++j)
        edge[i][j] = j >= ncols ? 0.f : first ? (bias ? bias[j] : 0.f) : y[i * ldy + j];
  }
  if (first && full) {
    __m256 b0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    __m256 b1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    c00 = c10 = c20 = c30 = c40 = c50 = b0;
    c01 = c11 = c21 = c31 = c41 = c51 = b1;
  } else {
#define ARCHGEN_LOAD(i)                                          \
  if constexpr (M > i) {                                         \
    const float* row = full ? y + i * ldy : edge[i];             \
    c##i##0 = _mm256_loadu_ps(row);                              \
    c##i##1 = _mm256_loadu_ps(row + 8);                          \
  }
    ARCHGEN_LOAD(0) ARCHGEN_LOAD(1) ARCHGEN_LOAD(2) ARCHGEN_LOAD(3) ARCHGEN_LOAD(4) ARCHGEN_LOAD(5)
#undef ARCHGEN_LOAD
  }
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx, *x4 = x + 4 * ldx,
              *x5 = x + 5 * ldx;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 w0 = _mm256_load_ps(panel + k * NR);
    const __m256 w1 = _mm256_load_ps(panel + k * NR + 8);
    __m256 v;
#define ARCHGEN_STEP(i)                          \
  if constexpr (M > i) {                         \
    v = _mm256_broadcast_ss(x##i + k);           \
    c##i##0 = _mm256_fmadd_ps(v, w0, c##i##0);   \
    c##i##1 = _mm256_fmadd_ps(v, w1, c##i##1);   \
  }
    ARCHGEN_STEP(0) ARCHGEN_STEP(1) ARCHGEN_STEP(2) ARCHGEN_STEP(3) ARCHGEN_STEP(4) ARCHGEN_STEP(5)
#undef ARCHGEN_STEP
  }
#define ARCHGEN_STORE(i)                                         \
  if constexpr (M > i) {                                         \
    float* row = full ? y + i * ldy : edge[i];                   \
    _mm256_storeu_ps(row, c##i##0);                              \
    _mm256_storeu_ps(row + 8, c##i##1);                          \
  }
  ARCHGEN_STORE(0) ARCHGEN_STORE(1) ARCHGEN_STORE(2) ARCHGEN_STORE(3) ARCHGEN_STORE(4) ARCHGEN_STORE(5)
#undef ARCHGEN_STORE
  if (!full) {
    for (int i = 0; i < M; ++i)
      for (int64_t j = 0; j < ncols; ++j) y[i * ldy + j] = edge[i][j];
  }
}

using Tile = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, const float*, bool,
                      int64_t);
constexpr Tile TILES[MR + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

// The panels [p0, p1) of y = x @ W.T + b: one thread's share.
void panels(const float* x, int64_t rows, int64_t depth, const float* packed, int64_t features,
            const float* bias, float* y, int64_t p0, int64_t p1) {
  for (int64_t m0 = 0; m0 < rows; m0 += MC) {
    const int64_t m1 = std::min(rows, m0 + MC);
    for (int64_t k0 = 0; k0 < depth; k0 += KC) {
      const int64_t kc = std::min(KC, depth - k0);
      for (int64_t p = p0; p < p1; ++p) {
        const float* panel = packed + p * depth * NR + k0 * NR;
        const int64_t ncols = std::min(NR, features - p * NR);
        const float* b = bias ? bias + p * NR : nullptr;
        for (int64_t m = m0; m < m1; m += MR) {
          const int64_t mr = std::min(MR, m1 - m);
          TILES[mr](x + m * depth + k0, depth, panel, kc, y + m * features + p * NR, features, b, k0 == 0,
                    ncols);
        }
      }
    }
  }
}

at::Tensor pack_linear_weight(const at::Tensor& weight) {
  TORCH_CHECK(weight.dim() == 2 && weight.scalar_type() == at::kFloat && weight.device().is_cpu(),
              "archgen::pack_linear_weight takes a 2-d float32 CPU weight, got ", weight.sizes(), " ",
              weight.scalar_type());
  const at::Tensor w = weight.contiguous();
  const int64_t features = w.size(0), depth = w.size(1), count = (features + NR - 1) / NR;
  at::Tensor packed = at::zeros({count, depth, NR}, w.options());
  const float* src = w.const_data_ptr<float>();
  float* dst = packed.data_ptr<float>();
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      for (int64_t j = 0; j < std::min(NR, features - p * NR); ++j)
        for (int64_t k = 0; k < depth; ++k) dst[(p * depth + k) * NR + j] = src[(p * NR + j) * depth + k];
  });
  return packed;
}

at::Tensor packed_linear(const at::Tensor& input, const at::Tensor& packed, const std::optional<at::Tensor>& bias,
                         int64_t features) {
  TORCH_CHECK(input.scalar_type() == at::kFloat && packed.scalar_type() == at::kFloat,
              "archgen::packed_linear is float32 only, got ", input.scalar_type());
  TORCH_CHECK(packed.dim() == 3 && packed.size(2) == NR && packed.is_contiguous() &&
                  packed.size(0) == (features + NR - 1) / NR,
              "archgen::packed_linear: packed weight of shape ", packed.sizes(), " does not hold ", features,
              " features (pack it with archgen::pack_linear_weight)");
  const int64_t depth = packed.size(1);
  TORCH_CHECK(input.dim() >= 1 && input.size(-1) == depth, "archgen::packed_linear: input of shape ",
              input.sizes(), " does not end in ", depth);
  TORCH_CHECK(!bias || (bias->dim() == 1 && bias->size(0) == features && bias->scalar_type() == at::kFloat),
              "archgen::packed_linear: the bias must be float32 of shape (", features, ")");
  TORCH_CHECK(reinterpret_cast<uintptr_t>(packed.const_data_ptr()) % 32 == 0,
              "archgen::packed_linear: the packed weight is not 32-byte aligned");
  const at::Tensor x = input.contiguous();
  const at::Tensor b = bias ? bias->contiguous() : at::Tensor();
  std::vector<int64_t> shape(input.sizes().begin(), input.sizes().end());
  shape.back() = features;
  at::Tensor y = at::empty(shape, x.options());
  const int64_t rows = c10::multiply_integers(input.sizes().begin(), input.sizes().end() - 1);
  const int64_t count = packed.size(0);
  if (rows == 0 || features == 0) return y;
  if (depth == 0) return bias ? y.copy_(b.expand_as(y)) : y.zero_();
  const float* xs = x.const_data_ptr<float>();
  const float* ws = packed.const_data_ptr<float>();
  const float* bs = bias ? b.const_data_ptr<float>() : nullptr;
  float* ys = y.data_ptr<float>();
  // One share per thread, split by panels: each reads all of x and its own panels once per pass.
  const int64_t threads = std::min<int64_t>(at::get_num_threads(), count);
  at::parallel_for(0, threads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      panels(xs, rows, depth, ws, features, bs, ys, count * t / threads, count * (t + 1) / threads);
  });
  return y;
}

}  // namespace

TORCH_LIBRARY(archgen, m) {
  m.def("pack_linear_weight(Tensor weight) -> Tensor");
  m.def("packed_linear(Tensor input, Tensor packed, Tensor? bias, int features) -> Tensor");
}

TORCH_LIBRARY_IMPL(archgen, CPU, m) {
  m.impl("pack_linear_weight", pack_linear_weight);
  m.impl("packed_linear", packed_linear);
}

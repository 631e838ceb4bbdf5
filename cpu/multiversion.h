// Run-time ISA selection for the hot scalar-written kernels.
//
// STRATA_MULTIVERSION compiles a function three times — for baseline x86-64,
// x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512) — and lets the dynamic loader
// pick the best one for the CPU it runs on (GNU ifunc, resolved by CPUID at
// start-up). The same source then vectorises with the widest registers the
// machine has, and std::fma becomes one instruction instead of a libm call,
// while a CPU without AVX-512 or AVX2 still runs (no illegal instruction).
// Every clone computes bit-identical results: the project builds with
// -ffp-contract=off, so only explicit std::fma calls fuse, and the compiler
// never reorders floating-point sums. Hand-written intrinsic kernels (AVX-512
// VNNI, AMX) are a separate layer on top.
#ifndef STRATA_CPU_MULTIVERSION_H_
#define STRATA_CPU_MULTIVERSION_H_

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(STRATA_NO_MULTIVERSION)
#define STRATA_MULTIVERSION \
  __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define STRATA_MULTIVERSION
#endif

#endif  // STRATA_CPU_MULTIVERSION_H_

// What the CPU we run on can do, from CPUID and XCR0, and which kernel ISA
// Strata uses on it.
//
// Detection runs once, on first use (thread-safe static initialisation), and
// never executes an instruction the CPU lacks: every flag is the CPUID bit AND
// the operating system's consent (XCR0 for the AVX / AVX-512 / AMX register
// state; for AMX also the per-process permission Linux grants through
// arch_prctl(ARCH_REQ_XCOMP_PERM)). The kernel tables (cpu/quant_kernels.h)
// pick their ISA from SelectedIsa(), so a machine without AVX-512 or AMX runs
// the AVX2 or scalar kernels instead of faulting.
//
// Everything here is immutable after detection and safe to call from any
// thread.
#ifndef STRATA_CPU_CPU_FEATURES_H_
#define STRATA_CPU_CPU_FEATURES_H_

#include <string>

namespace strata::cpu {

// Kernel families, from the portable reference upwards. Each level implies
// the ones below it on any CPU Strata selects it for.
enum class Isa {
  kScalar,  // cpu/reference/ only (baseline x86-64, or any other CPU).
  kAvx2,    // AVX2 + FMA + F16C (Haswell, Zen 1 and later).
  kAvx512,  // AVX-512 F/BW/DQ/VL + VNNI (Ice Lake, Zen 4 and later); BF16 if present.
  kAmx,     // kAvx512 plus AMX-TILE/INT8/BF16 with the kernel's permission (Sapphire Rapids).
};

const char* IsaName(Isa isa);

struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
  std::string brand;   // CPUID brand string, trimmed.
  int family = 0;      // Display family / model, as /proc/cpuinfo reports them.
  int model = 0;

  // Usable: the CPUID bit is set and the OS saves the register state.
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx_vnni = false;  // VEX-encoded vpdpbusd on ymm (Alder Lake, Zen 5).
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
  bool amx_tile = false;  // CPUID bits only: see amx_usable.
  bool amx_int8 = false;
  bool amx_bf16 = false;

  // AMX as the kernels can use it: the CPUID bits, XCR0 bits 17-18 (TILECFG,
  // TILEDATA) and the arch_prctl permission, requested once.
  bool amx_usable = false;
  // Why AMX is not usable (empty when it is): which of the three failed.
  std::string amx_note;

  // Raw registers, for `strata inspect --cpu`.
  unsigned leaf7_ebx = 0, leaf7_ecx = 0, leaf7_edx = 0, leaf7_1_eax = 0;
  unsigned long long xcr0 = 0;

  // The best kernel family this CPU can run.
  Isa best_isa() const;
  bool Has(Isa isa) const;
};

// The features of this CPU (detected on first call).
const CpuFeatures& GetCpuFeatures();

// The ISA the kernel tables use: the best available. Chosen once.
Isa SelectedIsa();

// A multi-line human-readable report: detected features, raw CPUID/XCR0
// values, AMX status and the selected kernels.
std::string DescribeCpu();

}  // namespace strata::cpu

#endif  // STRATA_CPU_CPU_FEATURES_H_

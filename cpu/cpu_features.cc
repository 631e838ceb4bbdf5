#include "cpu/cpu_features.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace strata::cpu {
namespace {

#if defined(__x86_64__)

struct Regs {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Regs Cpuid(unsigned leaf, unsigned subleaf) {
  Regs r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

bool Bit(unsigned reg, int bit) { return ((reg >> bit) & 1u) != 0; }

// xgetbv is only legal once the OS has set CR4.OSXSAVE (CPUID.1:ECX[27]).
unsigned long long ReadXcr0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}

// Linux >= 5.16 keeps AMX tile data (XSTATE component 18) disabled per process
// until asked: without this, the first tile instruction raises SIGILL.
constexpr int kArchGetXcompPerm = 0x1022;
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

bool RequestAmxPermission(std::string* note) {
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) {
    *note = absl::StrCat("the kernel refused arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA): ",
                         std::strerror(errno));
    return false;
  }
  unsigned long long permitted = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &permitted) != 0 ||
      ((permitted >> kXfeatureXtiledata) & 1) == 0) {
    *note = "arch_prctl granted AMX but ARCH_GET_XCOMP_PERM does not list XTILEDATA";
    return false;
  }
  return true;
}

CpuFeatures Detect() {
  CpuFeatures f;
  const Regs r0 = Cpuid(0, 0);
  char vendor[13] = {};
  std::memcpy(vendor, &r0.ebx, 4);
  std::memcpy(vendor + 4, &r0.edx, 4);
  std::memcpy(vendor + 8, &r0.ecx, 4);
  f.vendor = vendor;
  const unsigned max_leaf = r0.eax;

  const Regs r1 = Cpuid(1, 0);
  const unsigned base_family = (r1.eax >> 8) & 0xF;
  f.family =
      static_cast<int>(base_family == 0xF ? base_family + ((r1.eax >> 20) & 0xFF) : base_family);
  f.model = static_cast<int>(((r1.eax >> 4) & 0xF) |
                             ((base_family >= 6 ? (r1.eax >> 16) & 0xF : 0) << 4));

  const unsigned max_ext = Cpuid(0x80000000u, 0).eax;
  if (max_ext >= 0x80000004u) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      const Regs r = Cpuid(0x80000002u + i, 0);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    std::string b(brand);
    const size_t first = b.find_first_not_of(' ');
    const size_t last = b.find_last_not_of(' ');
    f.brand = first == std::string::npos ? "" : b.substr(first, last - first + 1);
  }

  const bool osxsave = Bit(r1.ecx, 27);
  f.xcr0 = osxsave ? ReadXcr0() : 0;
  const bool os_avx = (f.xcr0 & 0x6) == 0x6;                 // XMM | YMM state.
  const bool os_avx512 = os_avx && (f.xcr0 & 0xE0) == 0xE0;  // opmask, ZMM_Hi256, Hi16_ZMM.
  const bool os_amx = (f.xcr0 & 0x60000) == 0x60000;         // TILECFG | TILEDATA.

  if (max_leaf >= 7) {
    const Regs r7 = Cpuid(7, 0);
    f.leaf7_ebx = r7.ebx;
    f.leaf7_ecx = r7.ecx;
    f.leaf7_edx = r7.edx;
    if (r7.eax >= 1) f.leaf7_1_eax = Cpuid(7, 1).eax;
  }
  f.fma = os_avx && Bit(r1.ecx, 12);
  f.f16c = os_avx && Bit(r1.ecx, 29);
  f.avx2 = os_avx && Bit(f.leaf7_ebx, 5);
  f.avx_vnni = os_avx && Bit(f.leaf7_1_eax, 4);
  f.avx512f = os_avx512 && Bit(f.leaf7_ebx, 16);
  f.avx512dq = os_avx512 && Bit(f.leaf7_ebx, 17);
  f.avx512bw = os_avx512 && Bit(f.leaf7_ebx, 30);
  f.avx512vl = os_avx512 && Bit(f.leaf7_ebx, 31);
  f.avx512_vnni = os_avx512 && Bit(f.leaf7_ecx, 11);
  f.avx512_bf16 = os_avx512 && Bit(f.leaf7_1_eax, 5);
  f.amx_bf16 = Bit(f.leaf7_edx, 22);
  f.amx_tile = Bit(f.leaf7_edx, 24);
  f.amx_int8 = Bit(f.leaf7_edx, 25);

  if (!(f.amx_tile && f.amx_int8 && f.amx_bf16)) {
    f.amx_note = absl::StrFormat(
        "CPUID.(EAX=7,ECX=0):EDX reports no AMX (AMX-BF16 bit 22 = %d, AMX-TILE bit 24 = %d, "
        "AMX-INT8 bit 25 = %d); XCR0 tile state bits 17-18 = %d%d",
        f.amx_bf16, f.amx_tile, f.amx_int8, static_cast<int>((f.xcr0 >> 17) & 1),
        static_cast<int>((f.xcr0 >> 18) & 1));
  } else if (!os_amx) {
    f.amx_note = absl::StrFormat(
        "the CPU has AMX but XCR0 = %#llx lacks bits 17-18 (TILECFG, TILEDATA): the OS does "
        "not enable tile state",
        f.xcr0);
  } else if (!(f.avx512f && f.avx512bw && f.avx512vl && f.avx512_vnni)) {
    f.amx_note = "AMX without the AVX-512 subset its kernels also use";
  } else if (RequestAmxPermission(&f.amx_note)) {
    f.amx_usable = true;
  } else {
    // Said once: the tables fall back to AVX-512.
    std::fprintf(stderr, "strata: AMX not used: %s; using AVX-512 kernels\n", f.amx_note.c_str());
  }
  return f;
}

#else  // !__x86_64__

CpuFeatures Detect() {
  CpuFeatures f;
  f.amx_note = "not an x86-64 CPU";
  return f;
}

#endif

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAmx:
      return "amx";
  }
  return "?";
}

bool CpuFeatures::Has(Isa isa) const {
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return avx2 && fma && f16c;
    case Isa::kAvx512:
      return Has(Isa::kAvx2) && avx512f && avx512bw && avx512dq && avx512vl && avx512_vnni;
    case Isa::kAmx:
      return Has(Isa::kAvx512) && amx_usable;
  }
  return false;
}

Isa CpuFeatures::best_isa() const {
  for (Isa isa : {Isa::kAmx, Isa::kAvx512, Isa::kAvx2}) {
    if (Has(isa)) return isa;
  }
  return Isa::kScalar;
}

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures* features = new CpuFeatures(Detect());
  return *features;
}

Isa SelectedIsa() {
  static const Isa isa = GetCpuFeatures().best_isa();
  return isa;
}

std::string DescribeCpu() {
  const CpuFeatures& f = GetCpuFeatures();
  std::vector<std::string> have;
  auto add = [&](bool b, const char* name) {
    if (b) have.push_back(name);
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx_vnni, "avx_vnni");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512dq, "avx512dq");
  add(f.avx512vl, "avx512vl");
  add(f.avx512_vnni, "avx512_vnni");
  add(f.avx512_bf16, "avx512_bf16");
  add(f.amx_tile, "amx_tile");
  add(f.amx_int8, "amx_int8");
  add(f.amx_bf16, "amx_bf16");
  std::string out;
  absl::StrAppendFormat(&out, "cpu:           %s (%s, family %#x model %#x)\n",
                        f.brand.empty() ? "unknown" : f.brand, f.vendor, f.family, f.model);
  absl::StrAppend(&out, "features:      ", have.empty() ? "none" : absl::StrJoin(have, " "), "\n");
  absl::StrAppendFormat(&out,
                        "cpuid:         leaf 7.0 ebx %08x ecx %08x edx %08x, leaf 7.1 eax %08x; "
                        "xcr0 %#llx\n",
                        f.leaf7_ebx, f.leaf7_ecx, f.leaf7_edx, f.leaf7_1_eax, f.xcr0);
  absl::StrAppend(&out, "amx:           ", f.amx_usable ? "usable" : "not usable: ", f.amx_note,
                  "\n");
  std::vector<std::string> supported;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    if (f.Has(isa)) supported.push_back(IsaName(isa));
  }
  absl::StrAppend(&out, "kernels:       ", IsaName(SelectedIsa()),
                  " (runnable here: ", absl::StrJoin(supported, ", "), ")\n");
  return out;
}

}  // namespace strata::cpu

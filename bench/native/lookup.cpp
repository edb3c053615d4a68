// Native reference for the lookup benchmark (bench/lookup.mjs): an open-addressing hash table
// of int64 keys -> row index (linear probing, at most half full, splitmix64 hash) over one
// float32 arena, and a lookup that copies every id's row into an output buffer (zeros for a
// missing key). Compiled with `g++ -O3 -march=native` at bench time when g++ exists.
//
// Usage: lookup <keys.bin> <ids.bin> <dim> <minMs>. keys.bin holds the table's int64 keys
// (row i = key i), ids.bin the batch's int64 ids. Prints JSON: the median CPU seconds of one
// batch (CLOCK_PROCESS_CPUTIME_ID, as the Node side times CPU), the wall-clock median, runs,
// and a checksum of the output so the copy cannot be optimised away.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

static std::vector<int64_t> readAll(const char* path) {
  FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::fprintf(stderr, "cannot open %s\n", path);
    std::exit(2);
  }
  std::fseek(f, 0, SEEK_END);
  long bytes = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  std::vector<int64_t> out(bytes / 8);
  if (std::fread(out.data(), 8, out.size(), f) != out.size()) std::exit(2);
  std::fclose(f);
  return out;
}

static inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double seconds(clockid_t c) {
  timespec t;
  clock_gettime(c, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: lookup keys.bin ids.bin dim minMs\n");
    return 2;
  }
  const std::vector<int64_t> keys = readAll(argv[1]);
  const std::vector<int64_t> ids = readAll(argv[2]);
  const size_t dim = std::strtoul(argv[3], nullptr, 10);
  const double minSec = std::atof(argv[4]) / 1000;
  const size_t n = keys.size();
  size_t cap = 16;
  while (cap < 2 * n) cap <<= 1;
  const size_t mask = cap - 1;
  std::vector<int64_t> slotKey(cap);
  std::vector<int32_t> slotRow(cap, -1);
  for (size_t i = 0; i < n; i++) {
    size_t h = mix64((uint64_t)keys[i]) & mask;
    while (slotRow[h] >= 0 && slotKey[h] != keys[i]) h = (h + 1) & mask;
    slotKey[h] = keys[i];
    slotRow[h] = (int32_t)i;
  }
  std::vector<float> arena(n * dim);
  for (size_t i = 0; i < arena.size(); i++) arena[i] = (float)(i % 97) / 97.0f;
  const size_t m = ids.size();
  std::vector<float> out(m * dim);
  auto lookup = [&]() {
    for (size_t i = 0; i < m; i++) {
      const int64_t k = ids[i];
      size_t h = mix64((uint64_t)k) & mask;
      int32_t r;
      while ((r = slotRow[h]) >= 0 && slotKey[h] != k) h = (h + 1) & mask;
      float* dst = out.data() + i * dim;
      if (r >= 0) std::memcpy(dst, arena.data() + (size_t)r * dim, dim * 4);
      else std::memset(dst, 0, dim * 4);
    }
  };
  lookup();
  std::vector<double> cpu, wall;
  const double start = seconds(CLOCK_MONOTONIC);
  while (cpu.size() < 5 || (seconds(CLOCK_MONOTONIC) - start < minSec && cpu.size() < 200)) {
    const double c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    const double w0 = seconds(CLOCK_MONOTONIC);
    lookup();
    cpu.push_back(seconds(CLOCK_PROCESS_CPUTIME_ID) - c0);
    wall.push_back(seconds(CLOCK_MONOTONIC) - w0);
  }
  std::sort(cpu.begin(), cpu.end());
  std::sort(wall.begin(), wall.end());
  double sum = 0;
  for (size_t i = 0; i < out.size(); i += 7) sum += out[i];
  std::printf("{\"cpuSec\": %.9g, \"wallSec\": %.9g, \"runs\": %zu, \"checksum\": %.6g}\n", cpu[cpu.size() / 2],
              wall[wall.size() / 2], cpu.size(), sum);
  return 0;
}

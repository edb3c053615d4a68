// A small allocator over linear memory that never traps on out-of-memory.
//
// Why our own: the engine must report "cannot grow memory" as a clear error and leave
// every table unchanged, so allocation failure has to be a return value (0), not an abort.
// Blocks carry a 16-byte header (so payloads stay 16-byte aligned for v128 loads) and
// come from power-of-two size classes with per-class free lists; blocks of 1 MiB and
// more are page-granular and kept on a first-fit list so big arrays do not waste 2x.

const HEADER: usize = 16;
const NUM_CLASSES: i32 = 20; // 32 B .. 16 MiB... only classes below LARGE are used
const LARGE: usize = 1 << 20;
const PAGE: usize = 65536;

// Static state lives in globals; free-list heads in a small static array.
let heapTop: usize = 0;
let memoryLimitPages: i32 = 65536; // 4 GiB
let bytesInUse: usize = 0;
let classHeads: usize = 0; // pointer to NUM_CLASSES u32 heads
let largeHead: usize = 0; // singly linked list of free large blocks

function ensureInit(): void {
  if (classHeads != 0) return;
  const base = (__heap_base + 15) & ~(15 as usize);
  classHeads = base;
  memory.fill(classHeads, 0, (NUM_CLASSES as usize) << 2);
  heapTop = (classHeads + ((NUM_CLASSES as usize) << 2) + 15) & ~(15 as usize);
}

/** Sets a soft limit on linear memory (in 64 KiB pages); allocations beyond it fail with 0. */
export function setMemoryLimit(pages: i32): void {
  memoryLimitPages = pages;
}

export function memoryLimit(): i32 {
  return memoryLimitPages;
}

/** Bytes currently handed out to live blocks (payload + header). */
export function allocatedBytes(): usize {
  return bytesInUse;
}

// Addresses are u32: the largest request, so that rounding a size up (to a size class or a
// page) and adding it to the top of the heap can never wrap past 4 GiB.
const MAX_SIZE: usize = 0xfffe0000;

function bump(size: usize): usize {
  ensureInit();
  const ptr = heapTop;
  // heapTop + size must stay a valid address, or the heap would wrap to 0 and hand out live memory
  if (size > MAX_SIZE || size > (0xffffffff as usize) - ptr) return 0;
  const end = ptr + size;
  const have = (memory.size() as usize) * PAGE;
  if (end > have) {
    const needPages = ((end - have + PAGE - 1) / PAGE) as i32;
    if (memory.size() + needPages > memoryLimitPages) return 0;
    if (memory.grow(needPages) < 0) return 0;
  }
  heapTop = end;
  return ptr;
}

function classOf(total: usize): i32 {
  // smallest c with (32 << c) >= total
  let c: i32 = 0;
  let s: usize = 32;
  while (s < total) {
    s <<= 1;
    c++;
  }
  return c;
}

/** Allocates `size` bytes, 16-byte aligned. Returns 0 when memory cannot grow. */
export function alloc(size: usize): usize {
  ensureInit();
  if (size == 0) size = 1;
  if (size > MAX_SIZE) return 0;
  const total = size + HEADER;
  if (total >= LARGE) {
    const want = (total + PAGE - 1) & ~(PAGE - 1);
    // first fit on the large free list
    let prev: usize = 0;
    let cur = largeHead;
    while (cur != 0) {
      const csize = load<usize>(cur);
      if (csize >= want) {
        let next = load<usize>(cur, 8);
        let size = csize;
        if (csize - want >= PAGE) {
          // split: the tail stays on the free list, so a big freed array (an old hash-table
          // slot array) can serve several smaller blocks instead of one
          const rest = cur + want;
          store<usize>(rest, csize - want);
          store<u32>(rest, 0xffffffff, 4);
          store<usize>(rest, next, 8);
          next = rest;
          size = want;
          store<usize>(cur, want);
        }
        if (prev == 0) largeHead = next;
        else store<usize>(prev, next, 8);
        store<u32>(cur, 0xffffffff, 4); // mark large in use (class field)
        bytesInUse += size;
        return cur + HEADER;
      }
      prev = cur;
      cur = load<usize>(cur, 8);
    }
    const block = bump(want);
    if (block == 0) return 0;
    store<usize>(block, want);
    store<u32>(block, 0xffffffff, 4);
    bytesInUse += want;
    return block + HEADER;
  }
  const c = classOf(total);
  const headPtr = classHeads + ((c as usize) << 2);
  const head = load<u32>(headPtr) as usize;
  const bsize = (32 as usize) << c;
  if (head != 0) {
    store<u32>(headPtr, load<u32>(head, 8));
    bytesInUse += bsize;
    return head + HEADER;
  }
  const block = bump(bsize);
  if (block == 0) return 0;
  store<usize>(block, bsize);
  store<u32>(block, c as u32, 4);
  bytesInUse += bsize;
  return block + HEADER;
}

/** Returns a block to its free list. Freeing 0 is a no-op. */
export function free(ptr: usize): void {
  if (ptr == 0) return;
  const block = ptr - HEADER;
  const bsize = load<usize>(block);
  const c = load<u32>(block, 4);
  bytesInUse -= bsize;
  if (c == 0xffffffff) {
    store<usize>(block, largeHead, 8);
    largeHead = block;
    return;
  }
  const headPtr = classHeads + ((c as usize) << 2);
  store<u32>(block, load<u32>(headPtr), 8);
  store<u32>(headPtr, block as u32);
}

/** Usable payload size of a live block. */
export function blockSize(ptr: usize): usize {
  return load<usize>(ptr - HEADER) - HEADER;
}

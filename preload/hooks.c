// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The wrappers of libvgpu-preload: one per exported driver entry point and
 * ABI variant, each with the exact prototype cuda.h declares for it (the
 * header is included with __CUDA_API_VERSION_INTERNAL, as the driver itself
 * is built, so the legacy variants are declared too and the compiler checks
 * every wrapper against its declaration).
 *
 * What is counted, and how:
 *  - device memory: cuMemAlloc*, cuMemAllocPitch* (pitch x height),
 *    cuMemAllocManaged (all of it: it may all become resident), stream-ordered
 *    allocations (cuMemAllocAsync, cuMemAllocFromPoolAsync from device pools),
 *    cuMemCreate with a device location, CUDA arrays and mipmapped arrays
 *    (texels x element size, every level; sparse and deferred-mapping arrays
 *    have no memory of their own). Charged before the driver allocates
 *    (pitch padding after, freed again if refused); a refusal is
 *    CUDA_ERROR_OUT_OF_MEMORY, so frameworks free their caches and retry.
 *  - pinned host memory: cuMemHostAlloc, cuMemAllocHost*, cuMemHostRegister*,
 *    cuMemCreate with a host or host-NUMA location, allocations from pools
 *    located in host memory.
 *  - contexts: cuCtxCreate* and the primary context (first retain to last
 *    release) with the memory they took, measured (preload.c).
 *  - not counted: IPC-imported memory (cuIpcOpenMemHandle,
 *    cuMemImportFromShareableHandle) - it is the exporter's memory, in the
 *    exporter's books; counting it again would charge one allocation twice.
 *  - each object remembers its charge; the free paths (cuMemFree of any
 *    allocation, stream-ordered or not, cuMemFreeAsync, cuMemRelease after
 *    the last unmap, destroying a context, releasing the primary context)
 *    give back exactly that, once.
 */
#define _GNU_SOURCE
#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pl.h"

#define OOM CUDA_ERROR_OUT_OF_MEMORY
#define NOT_FOUND CUDA_ERROR_NOT_FOUND

/* real pointers used before their wrapper is defined */
PL_FWD(cuMemFree, CUresult, (CUdeviceptr_v1 dptr));
PL_FWD(cuMemFree_v2, CUresult, (CUdeviceptr dptr));
PL_FWD(cuMemFreeHost, CUresult, (void *p));
PL_FWD(cuMemHostUnregister, CUresult, (void *p));
PL_FWD(cuCtxDestroy_v2, CUresult, (CUcontext ctx));
PL_FWD(cuDevicePrimaryCtxRelease_v2, CUresult, (CUdevice dev));

/* ---- one charge around one allocation ------------------------------------ */

struct tx {
	bool on;
	int dev;
	uint64_t ctx;
	uint32_t h;
	uint64_t bytes;
	bool pinned;
};

/* charge @bytes of device memory (or pinned host memory) before the driver allocates */
static int tx_begin(struct tx *t, uint64_t bytes, bool pinned)
{
	memset(t, 0, sizeof(*t));
	if (!pl_accounting())
		return 0;
	t->dev = pl_cur_dev(&t->ctx);
	t->bytes = bytes;
	t->pinned = pinned;
	if (!pinned)
		pl_resync(t->dev, false);
	if (pinned ? pl_charge_host(NULL, bytes, &t->h) : pl_charge_mem(t->dev, bytes, &t->h))
		return -1;
	t->on = true;
	pl_depth++;
	return 0;
}

/* after the driver: remember the object, or give the charge back */
static CUresult tx_end(struct tx *t, CUresult r, enum pl_kind kind, uint64_t key)
{
	struct pl_rec rec;

	if (!t->on)
		return r;
	pl_depth--;
	memset(&rec, 0, sizeof(rec));
	rec.key = key;
	rec.kind = kind;
	rec.handle = t->h;
	rec.bytes = t->bytes;
	rec.dev = t->pinned ? -1 : t->dev;
	rec.ctx = t->ctx;
	rec.pinned = t->pinned;
	if (r != CUDA_SUCCESS || pl_rec_add(&rec)) {
		pl_uncharge(&rec);
		return r;
	}
	if (!t->pinned)
		pl_note_alloc(t->dev, (int64_t)t->bytes);
	return r;
}

/* a free path: take the record first, give the charge back once the driver freed it */
struct untx {
	bool had;
	struct pl_rec rec;
};

static void untx_begin(struct untx *u, uint32_t kind, uint64_t key)
{
	u->had = pl_accounting() && pl_rec_take(kind, key, &u->rec);
	pl_depth++;
}

static CUresult untx_end(struct untx *u, CUresult r)
{
	pl_depth--;
	if (!u->had)
		return r;
	if (r != CUDA_SUCCESS) {
		pl_rec_add(&u->rec);	/* still allocated */
		return r;
	}
	pl_uncharge(&u->rec);
	if (!u->rec.pinned && u->rec.dev >= 0)
		pl_note_alloc(u->rec.dev, -(int64_t)u->rec.bytes);
	return r;
}

/* ---- device memory ----------------------------------------------------------- */

#define ALLOC_BODY(name, kind, bytes, keyexpr, call)				\
	do {									\
		struct tx t;							\
		CUresult r;							\
		if (!PL_REAL(name))						\
			return NOT_FOUND;					\
		if (tx_begin(&t, (bytes), false))				\
			return OOM;						\
		r = call;							\
		return tx_end(&t, r, kind, r == CUDA_SUCCESS ? (uint64_t)(keyexpr) : 0); \
	} while (0)

PL_HOOK(cuMemAlloc, CUresult, (CUdeviceptr_v1 *dptr, unsigned int bytesize))
{
	ALLOC_BODY(cuMemAlloc, PL_DEV, bytesize, *dptr, real_cuMemAlloc(dptr, bytesize));
}

PL_HOOK(cuMemAlloc_v2, CUresult, (CUdeviceptr *dptr, size_t bytesize))
{
	ALLOC_BODY(cuMemAlloc_v2, PL_DEV, bytesize, *dptr, real_cuMemAlloc_v2(dptr, bytesize));
}

PL_HOOK(cuMemAllocManaged, CUresult, (CUdeviceptr *dptr, size_t bytesize, unsigned int flags))
{
	ALLOC_BODY(cuMemAllocManaged, PL_DEV, bytesize, *dptr,
		   real_cuMemAllocManaged(dptr, bytesize, flags));
}

/* pitch: width x height before, the padding once the driver chose the pitch */
static CUresult pitch_fix(struct tx *t, CUresult r, uint64_t pitch, uint64_t height,
			  uint64_t dptr, CUresult (*release)(uint64_t))
{
	uint64_t want = pitch * height;
	uint32_t h2;

	if (r != CUDA_SUCCESS || !t->on || want <= t->bytes)
		return tx_end(t, r, PL_DEV, dptr);
	pl_depth--;
	t->on = false;
	/* one charge per object: charge the whole, then give the estimate back */
	if (pl_charge_mem(t->dev, want, &h2)) {
		struct pl_rec rec = { .handle = t->h };

		pl_uncharge(&rec);
		pl_depth++;
		release(dptr);
		pl_depth--;
		return OOM;
	}
	{
		struct pl_rec rec = { .handle = t->h };

		pl_uncharge(&rec);
	}
	t->h = h2;
	t->bytes = want;
	t->on = true;
	pl_depth++;
	return tx_end(t, r, PL_DEV, dptr);
}

static CUresult free_v2(uint64_t p)
{
	CUresult (*f)(CUdeviceptr) = (CUresult (*)(CUdeviceptr))PL_REAL(cuMemFree_v2);

	return f ? f((CUdeviceptr)p) : NOT_FOUND;
}


PL_HOOK(cuMemAllocPitch, CUresult, (CUdeviceptr_v1 *dptr, unsigned int *pPitch,
				   unsigned int WidthInBytes, unsigned int Height,
				   unsigned int ElementSizeBytes))
{
	struct tx t;
	CUresult r;

	if (!PL_REAL(cuMemAllocPitch))
		return NOT_FOUND;
	if (tx_begin(&t, (uint64_t)WidthInBytes * Height, false))
		return OOM;
	r = real_cuMemAllocPitch(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
	return pitch_fix(&t, r, r ? 0 : *pPitch, Height, r ? 0 : *dptr, free_v2);
}

PL_HOOK(cuMemAllocPitch_v2, CUresult, (CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes,
				      size_t Height, unsigned int ElementSizeBytes))
{
	struct tx t;
	CUresult r;

	if (!PL_REAL(cuMemAllocPitch_v2))
		return NOT_FOUND;
	if (tx_begin(&t, (uint64_t)WidthInBytes * Height, false))
		return OOM;
	r = real_cuMemAllocPitch_v2(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
	return pitch_fix(&t, r, r ? 0 : *pPitch, Height, r ? 0 : *dptr, free_v2);
}

/* cuMemFree frees any device allocation, stream-ordered ones included */
static CUresult free_dev(uint64_t dptr, CUresult (*call)(uint64_t))
{
	struct untx u;

	untx_begin(&u, PL_DEV, dptr);
	if (!u.had) {
		pl_depth--;
		untx_begin(&u, PL_ASYNC, dptr);
	}
	return untx_end(&u, call(dptr));
}

static CUresult call_free_v1(uint64_t p)
{
	return real_cuMemFree((CUdeviceptr_v1)p);
}

PL_HOOK(cuMemFree, CUresult, (CUdeviceptr_v1 dptr))
{
	if (!PL_REAL(cuMemFree))
		return NOT_FOUND;
	return free_dev(dptr, call_free_v1);
}

static CUresult call_free_v2(uint64_t p)
{
	return real_cuMemFree_v2((CUdeviceptr)p);
}

PL_HOOK(cuMemFree_v2, CUresult, (CUdeviceptr dptr))
{
	if (!PL_REAL(cuMemFree_v2))
		return NOT_FOUND;
	return free_dev(dptr, call_free_v2);
}

/* ---- stream-ordered allocations and pools ------------------------------------------ */

PL_HOOK(cuMemAllocAsync, CUresult, (CUdeviceptr *dptr, size_t bytesize, CUstream hStream))
{
	ALLOC_BODY(cuMemAllocAsync, PL_ASYNC, bytesize, *dptr,
		   real_cuMemAllocAsync(dptr, bytesize, hStream));
}

PL_HOOK(cuMemAllocAsync_ptsz, CUresult, (CUdeviceptr *dptr, size_t bytesize, CUstream hStream))
{
	ALLOC_BODY(cuMemAllocAsync_ptsz, PL_ASYNC, bytesize, *dptr,
		   real_cuMemAllocAsync_ptsz(dptr, bytesize, hStream));
}

static bool host_pool(CUmemoryPool pool)
{
	struct pl_rec r;

	return pl_rec_get(PL_HOSTPOOL, (uint64_t)(uintptr_t)pool, &r);
}

#define POOL_BODY(name, args)							\
	do {									\
		struct tx t;							\
		CUresult r;							\
		bool host;							\
		if (!PL_REAL(name))						\
			return NOT_FOUND;					\
		host = pl_accounting() && host_pool(pool);			\
		if (tx_begin(&t, bytesize, host))				\
			return OOM;						\
		r = real_##name args;						\
		return tx_end(&t, r, PL_ASYNC, r == CUDA_SUCCESS ? (uint64_t)*dptr : 0); \
	} while (0)

PL_HOOK(cuMemAllocFromPoolAsync, CUresult, (CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
					   CUstream hStream))
{
	POOL_BODY(cuMemAllocFromPoolAsync, (dptr, bytesize, pool, hStream));
}

PL_HOOK(cuMemAllocFromPoolAsync_ptsz, CUresult, (CUdeviceptr *dptr, size_t bytesize,
						CUmemoryPool pool, CUstream hStream))
{
	POOL_BODY(cuMemAllocFromPoolAsync_ptsz, (dptr, bytesize, pool, hStream));
}

static CUresult free_async(CUdeviceptr dptr, CUresult (*call)(CUdeviceptr, CUstream), CUstream s)
{
	struct untx u;

	untx_begin(&u, PL_ASYNC, dptr);
	if (!u.had) {
		pl_depth--;
		untx_begin(&u, PL_DEV, dptr);
	}
	return untx_end(&u, call(dptr, s));
}

PL_HOOK(cuMemFreeAsync, CUresult, (CUdeviceptr dptr, CUstream hStream))
{
	if (!PL_REAL(cuMemFreeAsync))
		return NOT_FOUND;
	return free_async(dptr, real_cuMemFreeAsync, hStream);
}

PL_HOOK(cuMemFreeAsync_ptsz, CUresult, (CUdeviceptr dptr, CUstream hStream))
{
	if (!PL_REAL(cuMemFreeAsync_ptsz))
		return NOT_FOUND;
	return free_async(dptr, real_cuMemFreeAsync_ptsz, hStream);
}

/* pools located in host memory: their allocations are pinned host memory */
PL_HOOK(cuMemPoolCreate, CUresult, (CUmemoryPool *pool, const CUmemPoolProps *poolProps))
{
	CUresult r;

	if (!PL_REAL(cuMemPoolCreate))
		return NOT_FOUND;
	pl_depth++;
	r = real_cuMemPoolCreate(pool, poolProps);
	pl_depth--;
	if (r == CUDA_SUCCESS && poolProps && pl_accounting() &&
	    poolProps->location.type != CU_MEM_LOCATION_TYPE_DEVICE) {
		struct pl_rec rec = { .key = (uint64_t)(uintptr_t)*pool, .kind = PL_HOSTPOOL,
				      .dev = -1 };

		pl_rec_add(&rec);
	}
	return r;
}

PL_HOOK(cuMemPoolDestroy, CUresult, (CUmemoryPool pool))
{
	struct pl_rec rec;
	CUresult r;

	if (!PL_REAL(cuMemPoolDestroy))
		return NOT_FOUND;
	pl_depth++;
	r = real_cuMemPoolDestroy(pool);
	pl_depth--;
	if (r == CUDA_SUCCESS)
		pl_rec_take(PL_HOSTPOOL, (uint64_t)(uintptr_t)pool, &rec);
	return r;
}

/* a trim gives memory back to the device: the driver memory in the books follows */
PL_HOOK(cuMemPoolTrimTo, CUresult, (CUmemoryPool pool, size_t minBytesToKeep))
{
	CUresult r;

	if (!PL_REAL(cuMemPoolTrimTo))
		return NOT_FOUND;
	pl_depth++;
	r = real_cuMemPoolTrimTo(pool, minBytesToKeep);
	pl_depth--;
	if (r == CUDA_SUCCESS && pl_accounting())
		pl_resync(pl_cur_dev(NULL), true);
	return r;
}

/* ---- virtual memory management: cuMemCreate ------------------------------------ */

PL_HOOK(cuMemCreate, CUresult, (CUmemGenericAllocationHandle *handle, size_t size,
			       const CUmemAllocationProp *prop, unsigned long long flags))
{
	bool host;
	struct tx t;
	CUresult r;

	if (!PL_REAL(cuMemCreate))
		return NOT_FOUND;
	/* host and host-NUMA locations are pinned host memory, not device memory */
	host = prop && prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE &&
	       prop->location.type != CU_MEM_LOCATION_TYPE_INVALID;
	if (tx_begin(&t, size, host))
		return OOM;
	if (t.on && !host && prop)
		t.dev = prop->location.id;
	t.ctx = 0;	/* physical memory of the device, not of a context */
	r = real_cuMemCreate(handle, size, prop, flags);
	r = tx_end(&t, r, PL_VMM, r == CUDA_SUCCESS ? (uint64_t)*handle : 0);
	if (r == CUDA_SUCCESS && t.on) {
		struct pl_rec rec;

		if (pl_rec_get(PL_VMM, *handle, &rec)) {
			rec.refs = 1;
			pl_rec_update(&rec);
		}
	}
	return r;
}

/* the memory of a handle goes when its last reference and last mapping are gone */
static void vmm_put(uint64_t handle, int drefs, int dmaps)
{
	struct pl_rec rec;

	if (!pl_rec_take(PL_VMM, handle, &rec))
		return;
	rec.refs += drefs;
	rec.maps += dmaps;
	if (rec.refs > 0 || rec.maps > 0) {
		pl_rec_add(&rec);
		return;
	}
	pl_uncharge(&rec);
	if (!rec.pinned && rec.dev >= 0)
		pl_note_alloc(rec.dev, -(int64_t)rec.bytes);
}

PL_HOOK(cuMemRelease, CUresult, (CUmemGenericAllocationHandle handle))
{
	CUresult r;

	if (!PL_REAL(cuMemRelease))
		return NOT_FOUND;
	pl_depth++;
	r = real_cuMemRelease(handle);
	pl_depth--;
	if (r == CUDA_SUCCESS && pl_accounting())
		vmm_put(handle, -1, 0);
	return r;
}

PL_HOOK(cuMemRetainAllocationHandle, CUresult, (CUmemGenericAllocationHandle *handle, void *addr))
{
	CUresult r;

	if (!PL_REAL(cuMemRetainAllocationHandle))
		return NOT_FOUND;
	pl_depth++;
	r = real_cuMemRetainAllocationHandle(handle, addr);
	pl_depth--;
	if (r == CUDA_SUCCESS && pl_accounting())
		vmm_put(*handle, +1, 0);
	return r;
}

PL_HOOK(cuMemMap, CUresult, (CUdeviceptr ptr, size_t size, size_t offset,
			    CUmemGenericAllocationHandle handle, unsigned long long flags))
{
	CUresult r;

	if (!PL_REAL(cuMemMap))
		return NOT_FOUND;
	pl_depth++;
	r = real_cuMemMap(ptr, size, offset, handle, flags);
	pl_depth--;
	if (r == CUDA_SUCCESS && pl_accounting()) {
		struct pl_rec m = { .key = ptr, .kind = PL_MAP, .bytes = size, .dev = -1,
				    .aux = handle };

		if (!pl_rec_add(&m))
			vmm_put(handle, 0, +1);
	}
	return r;
}

PL_HOOK(cuMemUnmap, CUresult, (CUdeviceptr ptr, size_t size))
{
	struct pl_rec m;
	CUresult r;

	if (!PL_REAL(cuMemUnmap))
		return NOT_FOUND;
	pl_depth++;
	r = real_cuMemUnmap(ptr, size);
	pl_depth--;
	if (r != CUDA_SUCCESS || !pl_accounting())
		return r;
	/* the range holds whole mappings (the driver requires it): walk them by start */
	for (uint64_t p = ptr; p < ptr + size;) {
		if (!pl_rec_take(PL_MAP, p, &m))
			break;
		vmm_put(m.aux, 0, -1);
		p += m.bytes ? m.bytes : size;
	}
	return r;
}

/* ---- arrays ---------------------------------------------------------------------- */

static uint64_t format_bytes(unsigned int f)
{
	switch (f) {
	case CU_AD_FORMAT_UNSIGNED_INT8: case CU_AD_FORMAT_SIGNED_INT8:
		return 1;
	case CU_AD_FORMAT_UNSIGNED_INT16: case CU_AD_FORMAT_SIGNED_INT16: case CU_AD_FORMAT_HALF:
		return 2;
	case CU_AD_FORMAT_UNSIGNED_INT32: case CU_AD_FORMAT_SIGNED_INT32: case CU_AD_FORMAT_FLOAT:
		return 4;
	default:
		return 4;	/* other formats: at most 4 bytes a channel */
	}
}

/* bytes of the texels of a w x h x d array; sparse/deferred ones have none of their own */
static uint64_t array_bytes(uint64_t w, uint64_t h, uint64_t d, unsigned int fmt,
			    unsigned int channels, unsigned int flags)
{
	if (flags & (CUDA_ARRAY3D_SPARSE | CUDA_ARRAY3D_DEFERRED_MAPPING))
		return 0;
	return w * (h ? h : 1) * (d ? d : 1) * format_bytes(fmt) * (channels ? channels : 1);
}

#define ARRAY_BODY(name, kind, bytes, handle, call)				\
	do {									\
		struct tx t;							\
		CUresult r;							\
		uint64_t b = (bytes);						\
		if (!PL_REAL(name))						\
			return NOT_FOUND;					\
		if (!b)								\
			return call;						\
		if (tx_begin(&t, b, false))					\
			return OOM;						\
		r = call;							\
		return tx_end(&t, r, kind, r == CUDA_SUCCESS ? (uint64_t)(uintptr_t)*(handle) : 0); \
	} while (0)

PL_HOOK(cuArrayCreate, CUresult, (CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR_v1 *d))
{
	ARRAY_BODY(cuArrayCreate, PL_ARRAY,
		   d ? array_bytes(d->Width, d->Height, 1, d->Format, d->NumChannels, 0) : 0,
		   pHandle, real_cuArrayCreate(pHandle, d));
}

PL_HOOK(cuArrayCreate_v2, CUresult, (CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *d))
{
	ARRAY_BODY(cuArrayCreate_v2, PL_ARRAY,
		   d ? array_bytes(d->Width, d->Height, 1, d->Format, d->NumChannels, 0) : 0,
		   pHandle, real_cuArrayCreate_v2(pHandle, d));
}

PL_HOOK(cuArray3DCreate, CUresult, (CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR_v1 *d))
{
	ARRAY_BODY(cuArray3DCreate, PL_ARRAY,
		   d ? array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags) : 0,
		   pHandle, real_cuArray3DCreate(pHandle, d));
}

PL_HOOK(cuArray3DCreate_v2, CUresult, (CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *d))
{
	ARRAY_BODY(cuArray3DCreate_v2, PL_ARRAY,
		   d ? array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags) : 0,
		   pHandle, real_cuArray3DCreate_v2(pHandle, d));
}

PL_HOOK(cuArrayDestroy, CUresult, (CUarray hArray))
{
	struct untx u;

	if (!PL_REAL(cuArrayDestroy))
		return NOT_FOUND;
	untx_begin(&u, PL_ARRAY, (uint64_t)(uintptr_t)hArray);
	return untx_end(&u, real_cuArrayDestroy(hArray));
}

/* every level: each halves width, height and (unless layered) depth, never below 1 */
static uint64_t mipmap_bytes(const CUDA_ARRAY3D_DESCRIPTOR *d, unsigned int levels)
{
	uint64_t sum = 0, w = d->Width, h = d->Height, z = d->Depth;
	bool layered = d->Flags & (CUDA_ARRAY3D_LAYERED | CUDA_ARRAY3D_CUBEMAP);

	if (d->Flags & (CUDA_ARRAY3D_SPARSE | CUDA_ARRAY3D_DEFERRED_MAPPING))
		return 0;
	for (unsigned int i = 0; i < (levels ? levels : 1); i++) {
		sum += array_bytes(w, h, z, d->Format, d->NumChannels, 0);
		w = w > 1 ? w / 2 : 1;
		h = h > 1 ? h / 2 : h;
		if (!layered)
			z = z > 1 ? z / 2 : z;
	}
	return sum;
}

PL_HOOK(cuMipmappedArrayCreate, CUresult, (CUmipmappedArray *pHandle,
					  const CUDA_ARRAY3D_DESCRIPTOR *d,
					  unsigned int numMipmapLevels))
{
	ARRAY_BODY(cuMipmappedArrayCreate, PL_MIPMAP, d ? mipmap_bytes(d, numMipmapLevels) : 0,
		   pHandle, real_cuMipmappedArrayCreate(pHandle, d, numMipmapLevels));
}

PL_HOOK(cuMipmappedArrayDestroy, CUresult, (CUmipmappedArray hMipmappedArray))
{
	struct untx u;

	if (!PL_REAL(cuMipmappedArrayDestroy))
		return NOT_FOUND;
	untx_begin(&u, PL_MIPMAP, (uint64_t)(uintptr_t)hMipmappedArray);
	return untx_end(&u, real_cuMipmappedArrayDestroy(hMipmappedArray));
}

/* ---- pinned host memory ----------------------------------------------------------- */

/*
 * The pinned charge names the range (the kernel ledger pins it), so it is
 * taken once the driver returned the address; refused: freed again.
 */
static CUresult host_after(CUresult r, void *p, uint64_t bytes, enum pl_kind kind,
			   CUresult (*undo)(void *))
{
	struct pl_rec rec;
	uint64_t ctx = 0;
	uint32_t h;

	if (r != CUDA_SUCCESS)
		return r;
	pl_cur_dev(&ctx);
	if (pl_charge_host(p, bytes, &h)) {
		pl_depth++;
		undo(p);
		pl_depth--;
		return OOM;
	}
	memset(&rec, 0, sizeof(rec));
	rec.key = (uint64_t)(uintptr_t)p;
	rec.kind = kind;
	rec.handle = h;
	rec.bytes = bytes;
	rec.dev = -1;
	rec.ctx = kind == PL_HOST ? ctx : 0;
	rec.pinned = true;
	if (pl_rec_add(&rec)) {
		pl_uncharge(&rec);
		pl_depth++;
		undo(p);
		pl_depth--;
		return OOM;
	}
	return r;
}


static CUresult undo_host(void *p)
{
	return real_cuMemFreeHost ? real_cuMemFreeHost(p) : NOT_FOUND;
}

static CUresult undo_reg(void *p)
{
	return real_cuMemHostUnregister ? real_cuMemHostUnregister(p) : NOT_FOUND;
}

#define HOST_BODY(name, bytes, call)						\
	do {									\
		CUresult r;							\
		bool acc;							\
		if (!PL_REAL(name) || !PL_REAL(cuMemFreeHost))			\
			return NOT_FOUND;					\
		acc = pl_accounting();						\
		pl_depth++;							\
		r = call;							\
		pl_depth--;							\
		return acc ? host_after(r, *pp, (bytes), PL_HOST, undo_host) : r; \
	} while (0)

PL_HOOK(cuMemHostAlloc, CUresult, (void **pp, size_t bytesize, unsigned int Flags))
{
	HOST_BODY(cuMemHostAlloc, bytesize, real_cuMemHostAlloc(pp, bytesize, Flags));
}

PL_HOOK(cuMemAllocHost, CUresult, (void **pp, unsigned int bytesize))
{
	HOST_BODY(cuMemAllocHost, bytesize, real_cuMemAllocHost(pp, bytesize));
}

PL_HOOK(cuMemAllocHost_v2, CUresult, (void **pp, size_t bytesize))
{
	HOST_BODY(cuMemAllocHost_v2, bytesize, real_cuMemAllocHost_v2(pp, bytesize));
}

PL_HOOK(cuMemFreeHost, CUresult, (void *p))
{
	struct untx u;

	if (!PL_REAL(cuMemFreeHost))
		return NOT_FOUND;
	untx_begin(&u, PL_HOST, (uint64_t)(uintptr_t)p);
	return untx_end(&u, real_cuMemFreeHost(p));
}

#define REG_BODY(name)								\
	do {									\
		CUresult r;							\
		bool acc;							\
		if (!PL_REAL(name) || !PL_REAL(cuMemHostUnregister))		\
			return NOT_FOUND;					\
		acc = pl_accounting();						\
		pl_depth++;							\
		r = real_##name(p, bytesize, Flags);				\
		pl_depth--;							\
		return acc ? host_after(r, p, bytesize, PL_REG, undo_reg) : r;	\
	} while (0)

PL_HOOK(cuMemHostRegister, CUresult, (void *p, size_t bytesize, unsigned int Flags))
{
	REG_BODY(cuMemHostRegister);
}

PL_HOOK(cuMemHostRegister_v2, CUresult, (void *p, size_t bytesize, unsigned int Flags))
{
	REG_BODY(cuMemHostRegister_v2);
}

PL_HOOK(cuMemHostUnregister, CUresult, (void *p))
{
	struct untx u;

	if (!PL_REAL(cuMemHostUnregister))
		return NOT_FOUND;
	untx_begin(&u, PL_REG, (uint64_t)(uintptr_t)p);
	return untx_end(&u, real_cuMemHostUnregister(p));
}

/* ---- contexts ------------------------------------------------------------------------ */

static CUresult ctx_destroy_real(CUcontext c)
{
	CUresult (*f)(CUcontext) = (CUresult (*)(CUcontext))PL_REAL(cuCtxDestroy_v2);

	return f ? f(c) : NOT_FOUND;
}


#define CTX_CREATE_BODY(name, call)						\
	do {									\
		int64_t before;							\
		CUresult r;							\
		if (!PL_REAL(name))						\
			return NOT_FOUND;					\
		if (!pl_accounting())						\
			return call;						\
		before = pl_ctx_before(dev);					\
		pl_depth++;							\
		r = call;							\
		pl_depth--;							\
		if (r != CUDA_SUCCESS)						\
			return r;						\
		if (pl_ctx_created(dev, (uint64_t)(uintptr_t)*pctx, before, false)) { \
			pl_depth++;						\
			ctx_destroy_real(*pctx);				\
			pl_depth--;						\
			*pctx = NULL;						\
			return OOM;						\
		}								\
		return r;							\
	} while (0)

PL_HOOK(cuCtxCreate, CUresult, (CUcontext *pctx, unsigned int flags, CUdevice dev))
{
	CTX_CREATE_BODY(cuCtxCreate, real_cuCtxCreate(pctx, flags, dev));
}

PL_HOOK(cuCtxCreate_v2, CUresult, (CUcontext *pctx, unsigned int flags, CUdevice dev))
{
	CTX_CREATE_BODY(cuCtxCreate_v2, real_cuCtxCreate_v2(pctx, flags, dev));
}

PL_HOOK(cuCtxCreate_v3, CUresult, (CUcontext *pctx, CUexecAffinityParam *paramsArray, int numParams,
				  unsigned int flags, CUdevice dev))
{
	CTX_CREATE_BODY(cuCtxCreate_v3, real_cuCtxCreate_v3(pctx, paramsArray, numParams, flags, dev));
}

PL_HOOK(cuCtxCreate_v4, CUresult, (CUcontext *pctx, CUctxCreateParams *ctxCreateParams,
				  unsigned int flags, CUdevice dev))
{
	CTX_CREATE_BODY(cuCtxCreate_v4, real_cuCtxCreate_v4(pctx, ctxCreateParams, flags, dev));
}

static CUresult ctx_destroy(CUcontext ctx, CUresult (*call)(CUcontext))
{
	CUresult r;

	pl_depth++;
	r = call(ctx);
	pl_depth--;
	if (r == CUDA_SUCCESS && pl_accounting())
		pl_ctx_gone((uint64_t)(uintptr_t)ctx, -1, false);
	return r;
}

PL_HOOK(cuCtxDestroy, CUresult, (CUcontext ctx))
{
	if (!PL_REAL(cuCtxDestroy))
		return NOT_FOUND;
	return ctx_destroy(ctx, real_cuCtxDestroy);
}

PL_HOOK(cuCtxDestroy_v2, CUresult, (CUcontext ctx))
{
	if (!PL_REAL(cuCtxDestroy_v2))
		return NOT_FOUND;
	return ctx_destroy(ctx, real_cuCtxDestroy_v2);
}

/* primary contexts: charged at the first retain, released at the last release */
static pthread_mutex_t primary_lock = PTHREAD_MUTEX_INITIALIZER;


PL_HOOK(cuDevicePrimaryCtxRetain, CUresult, (CUcontext *pctx, CUdevice dev))
{
	int64_t before = -1;
	bool first;
	CUresult r;

	if (!PL_REAL(cuDevicePrimaryCtxRetain))
		return NOT_FOUND;
	if (!pl_accounting())
		return real_cuDevicePrimaryCtxRetain(pctx, dev);
	pthread_mutex_lock(&primary_lock);
	first = pl_primary_ref(dev, 0) == 0;
	if (first)
		before = pl_ctx_before(dev);
	pl_depth++;
	r = real_cuDevicePrimaryCtxRetain(pctx, dev);
	pl_depth--;
	if (r == CUDA_SUCCESS) {
		if (first && pl_ctx_created(dev, (uint64_t)(uintptr_t)*pctx, before, true)) {
			pl_depth++;
			if (PL_REAL(cuDevicePrimaryCtxRelease_v2))
				real_cuDevicePrimaryCtxRelease_v2(dev);
			pl_depth--;
			*pctx = NULL;
			r = OOM;
		} else {
			pl_primary_ref(dev, +1);
		}
	}
	pthread_mutex_unlock(&primary_lock);
	return r;
}

static CUresult primary_release(CUdevice dev, CUresult (*call)(CUdevice))
{
	CUresult r;

	if (!pl_accounting())
		return call(dev);
	pthread_mutex_lock(&primary_lock);
	pl_depth++;
	r = call(dev);
	pl_depth--;
	if (r == CUDA_SUCCESS && pl_primary_ref(dev, -1) == 1)
		pl_ctx_gone(0, dev, true);
	pthread_mutex_unlock(&primary_lock);
	return r;
}

PL_HOOK(cuDevicePrimaryCtxRelease, CUresult, (CUdevice dev))
{
	if (!PL_REAL(cuDevicePrimaryCtxRelease))
		return NOT_FOUND;
	return primary_release(dev, real_cuDevicePrimaryCtxRelease);
}

PL_HOOK(cuDevicePrimaryCtxRelease_v2, CUresult, (CUdevice dev))
{
	if (!PL_REAL(cuDevicePrimaryCtxRelease_v2))
		return NOT_FOUND;
	return primary_release(dev, real_cuDevicePrimaryCtxRelease_v2);
}

/* a reset frees every allocation of the primary context; the retains stay */
static CUresult primary_reset(CUdevice dev, CUresult (*call)(CUdevice))
{
	uint64_t ctx = pl_primary_ctx(dev);
	CUresult r;

	pl_depth++;
	r = call(dev);
	pl_depth--;
	if (r == CUDA_SUCCESS && ctx && pl_accounting()) {
		pl_release_ctx_objects(ctx);
		pl_resync(dev, true);
	}
	return r;
}

PL_HOOK(cuDevicePrimaryCtxReset, CUresult, (CUdevice dev))
{
	if (!PL_REAL(cuDevicePrimaryCtxReset))
		return NOT_FOUND;
	return primary_reset(dev, real_cuDevicePrimaryCtxReset);
}

PL_HOOK(cuDevicePrimaryCtxReset_v2, CUresult, (CUdevice dev))
{
	if (!PL_REAL(cuDevicePrimaryCtxReset_v2))
		return NOT_FOUND;
	return primary_reset(dev, real_cuDevicePrimaryCtxReset_v2);
}

/* ---- initialisation: the device-wide baseline is taken before it ---------------------- */

PL_HOOK(cuInit, CUresult, (unsigned int Flags))
{
	if (!PL_REAL(cuInit))
		return NOT_FOUND;
	if (pl_accounting())
		pl_before_init();
	return real_cuInit(Flags);
}

/* ---- what the program is told it has ------------------------------------------------- */

PL_HOOK(cuMemGetInfo_v2, CUresult, (size_t *free, size_t *total))
{
	uint64_t f, t;
	CUresult r;

	if (!PL_REAL(cuMemGetInfo_v2))
		return NOT_FOUND;
	r = real_cuMemGetInfo_v2(free, total);
	if (r != CUDA_SUCCESS || !pl_accounting())
		return r;
	pl_resync(pl_cur_dev(NULL), true);
	pl_mem_view(*free, *total, &f, &t);
	*free = f;
	*total = t;
	return r;
}

PL_HOOK(cuMemGetInfo, CUresult, (unsigned int *free, unsigned int *total))
{
	size_t f, t;
	CUresult r;

	/* the 32-bit variant: through the 64-bit one, clamped as the driver does */
	if (!PL_REAL(cuMemGetInfo_v2))
		return PL_REAL(cuMemGetInfo) ? real_cuMemGetInfo(free, total) : NOT_FOUND;
	r = cuMemGetInfo_v2(&f, &t);
	if (r == CUDA_SUCCESS) {
		*free = f > UINT32_MAX ? UINT32_MAX : (unsigned int)f;
		*total = t > UINT32_MAX ? UINT32_MAX : (unsigned int)t;
	}
	return r;
}

/* NVML: nvmlDeviceGetMemoryInfo{,_v2}, so nvidia-smi and pynvml in the tenant agree */
struct pl_nvml_mem {
	unsigned long long total, free, used;
};

struct pl_nvml_mem_v2 {
	unsigned int version;
	unsigned long long total, reserved, free, used;
};

PL_HOOK(nvmlDeviceGetMemoryInfo, int, (void *device, struct pl_nvml_mem *memory))
{
	uint64_t f, t;
	int r;

	if (!PL_REAL(nvmlDeviceGetMemoryInfo))
		return 13;	/* NVML_ERROR_FUNCTION_NOT_FOUND */
	r = real_nvmlDeviceGetMemoryInfo(device, memory);
	if (r || !pl_accounting())
		return r;
	pl_mem_view(memory->free, memory->total, &f, &t);
	memory->total = t;
	memory->free = f;
	memory->used = t - f;
	return r;
}

PL_HOOK(nvmlDeviceGetMemoryInfo_v2, int, (void *device, struct pl_nvml_mem_v2 *memory))
{
	uint64_t f, t;
	int r;

	if (!PL_REAL(nvmlDeviceGetMemoryInfo_v2))
		return 13;
	r = real_nvmlDeviceGetMemoryInfo_v2(device, memory);
	if (r || !pl_accounting())
		return r;
	pl_mem_view(memory->free, memory->total, &f, &t);
	if (t != memory->total) {
		memory->total = t;
		memory->reserved = 0;
		memory->free = f;
		memory->used = t - f;
	}
	return r;
}

/* ---- cuGetProcAddress: the wrapper of the variant asked for ---------------------------- */

PL_HOOK(cuGetProcAddress, CUresult, (const char *symbol, void **pfn, int cudaVersion,
				    cuuint64_t flags))
{
	CUresult r;

	if (!PL_REAL(cuGetProcAddress))
		return NOT_FOUND;
	r = real_cuGetProcAddress(symbol, pfn, cudaVersion, flags);
	if (r == CUDA_SUCCESS && pfn)
		*pfn = pl_proc_address(symbol, *pfn, cudaVersion, flags);
	return r;
}

PL_HOOK(cuGetProcAddress_v2, CUresult, (const char *symbol, void **pfn, int cudaVersion,
				       cuuint64_t flags, CUdriverProcAddressQueryResult *symbolStatus))
{
	CUresult r;

	if (!PL_REAL(cuGetProcAddress_v2))
		return NOT_FOUND;
	r = real_cuGetProcAddress_v2(symbol, pfn, cudaVersion, flags, symbolStatus);
	if (r == CUDA_SUCCESS && pfn)
		*pfn = pl_proc_address(symbol, *pfn, cudaVersion, flags);
	return r;
}

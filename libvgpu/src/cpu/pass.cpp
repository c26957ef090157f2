// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu CPU backend: the LLVM pass that turns CUDA kernels, compiled by
 * clang as device code for the host (clang.c), into functions that run a
 * whole block on one OS thread. A plugin of clang-16 (-fpass-plugin), run at
 * the start of the O3 pipeline so that everything it builds is optimised
 * (vectorised) afterwards.
 *
 * Per kernel K (found by the "vgpu.kernel" annotation cuda.h puts on
 * __global__):
 *  1. every helper that uses threadIdx, a barrier or a warp function is
 *     inlined into K (recursion through them is refused with a message);
 *     the shuffles last: a loop of them reducing or scanning a value
 *     across a warp first becomes one warp sync whose steps the driver
 *     runs (shuffleLoops);
 *  2. body(ctx, x, y, z, lin, params...) = K with the builtins replaced by
 *     its arguments and `extern __shared__` arrays by ctx->dsmem;
 *  3. K without barriers: __vgpu_blocks_K = cuda.h's driver
 *     __vgpu_tmpl_simple around a loop over the block's threads calling body;
 *  4. K with barriers (__syncthreads, or a warp sync: every warp function of
 *     cuda.h is built on __vgpu_warp_sync, a ballot on __vgpu_warp_sync_ballot,
 *     whose resume state has ST_BALLOT too; cg::reduce on
 *     __vgpu_warp_sync_reduce, ST_REDUCE and the code of its reduction, which
 *     the driver runs on the warp's values) is cut at them (PoCL's work-item
 *     loops, generalised the continuation way): each barrier ends a region
 *     and is a resume state; values live across a barrier are demoted to
 *     memory, and allocas used in more than one region get one slot per
 *     thread in a frame (SoA: consecutive threads adjacent); every region is
 *     a clone of the body entered at its resume point, run by a loop over the
 *     threads (__vgpu_tmpl_region_all); each thread returns the state where
 *     it stopped. When all threads stop at the same barrier the next region
 *     runs for all; when they differ (early return, a warp in a divergent
 *     branch) the driver runs the group at a warp sync first, then the lowest
 *     barrier (__vgpu_tmpl_region_sel, __vgpu_tmpl_barrier). Barriers may
 *     thus sit in loops with break/continue, in conditions, in helpers, after
 *     an early return: no fibers. A __syncthreads() that orders no
 *     access (from the barriers before it to those after it, every thread
 *     going through it, no thread touches memory that the other side
 *     writes: a reduction's last read of its scratch before global work)
 *     is dropped first (dropIdleBarriers): one region fewer.
 *     A branch that whole warps take or skip
 *     together around warp functions (`if (warp == 0)`: a block
 *     reduction's last step) is run by every warp, its memory accesses
 *     under its condition (predicateWarpBranches): the block then stays
 *     together at its warp syncs instead of parting into groups.
 *     Values the same in every thread live across barriers are kept once
 *     per block (ctx->uin on entry, *ctx->uout at a region's ways out);
 *     the stores of those read from the kernel's memory are in an alias
 *     scope of their own that the kernel's accesses are marked as not
 *     touching (wireResume), so LICM sinks a thread loop's stores of one
 *     value and hoists the load it came from.
 *     A value computed from the thread index, the parameters and the
 *     block's coordinates alone is computed again in each region that uses
 *     it rather than kept per thread, so that regions index with affine
 *     functions of their thread loop's variable (contiguous vector accesses);
 *     so is one computed from those and block-uniform variables (y = y0 +
 *     threadIdx.y) when none of them can change between its store and its
 *     loads. Slots are a constant 1040 threads apart (one base address per
 *     element size) while the frame is small; a per-thread array lives
 *     element-major. A loop with barriers, few constant trips and padded
 *     indices (a Blelloch scan's levels) is unrolled whole first
 *     (unrollBarrierLoops). Loops every thread runs alike are cut at their head
 *     (cutUniformLoops): one vectorised region an iteration, or, with a few
 *     constant trips, unrolled whole (unrollWorthIt); a grid-stride
 *     loop first becomes one (uniformStrided: a block maximum of the trips
 *     bounds a uniform counter, each thread's body guarded by its index).
 *     A region whose work is for a row's leading threads only (if (tid <
 *     d): tree reductions, scans) runs those and the block's last thread
 *     (regionLimit), and one whose work is for a warp's first lane (lane
 *     == 0) every 32nd thread too; one whose halo its tile's edge threads load (tx == 0,
 *     tx == BX - 1) runs the other threads through a copy without those
 *     tests (regionMain); one with padded shared indices (s[x + (x >> 5)])
 *     runs 32 threads at a time through a copy where x >> 5 is their
 *     first one's (regionChunk). Global accesses in a loop with barriers
 *     that stride a page or more per trip are prefetched a trip ahead,
 *     four trips and every line of a row where a trip is one region (a
 *     grid-stride loop) (markAhead, regionPrefetch: the drivers call a
 *     region's prefetch function for a few threads of each row). The
 *     kernel's global accesses at addresses made of the thread's index,
 *     the parameters and the block's coordinates are prefetched for the
 *     next block's rows before a block runs (blockPrefetch; cuda.h's
 *     __vgpu_ctx_ahead), in both lowerings.
 *  5. __shared__ variables are thread-local (a worker runs one block at a
 *     time), their address taken once per body entry (hoisted out of the
 *     thread loops), not a __tls_get_addr call per access.
 *  6. right before the loop vectoriser (VgpuThreadLoopPass), the thread
 *     loops lose what LLVM 16's vectoriser refuses: switches become
 *     branches, inlined noalias scope declarations and the uniform values'
 *     stores get the loop's access groups; atomics on __shared__ memory
 *     become plain read-modify-writes (one worker runs the whole block);
 *     a loop with bounds tests on the thread's index (if (i < n)) runs a
 *     copy without them where they hold for all its threads.
 *  7. at the end of the pipeline (VgpuEmptyLoopPass), loops left with
 *     nothing but scope declarations lose them and are deleted; before it
 *     (VgpuSplatMemPass), a gather or scatter of one address in every lane
 *     (a value the same in a row of threads, read or written under a
 *     condition that differs between them, or a warp's, made from the
 *     thread index) becomes one scalar access under a test of its mask, as
 *     does one whose mask has at most one lane (a warp's first lane), and
 *     (VgpuTransposePass) the components the vectoriser takes out of 16
 *     threads' float4 / int4 loads one by one become a two-step transpose.
 * The image lists its kernels in __vgpu_kernel_table ("mangled\tdemangled\t
 * how\n"): runtime.c finds template kernels by name there, and "how" says
 * which lowering each got.
 */
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/AssumptionCache.h"
#include "llvm/Analysis/CallGraph.h"
#include "llvm/Analysis/ConstantFolding.h"
#include "llvm/Analysis/PostDominators.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/Utils/Local.h"
#include "llvm/Analysis/VectorUtils.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/LoopAccessAnalysis.h"
#include "llvm/Analysis/MemorySSA.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfo.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/IR/PatternMatch.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/KnownBits.h"
#include "llvm/Support/ModRef.h"
#include "llvm/Transforms/Scalar/ADCE.h"
#include "llvm/Transforms/Scalar/EarlyCSE.h"
#include "llvm/Transforms/Scalar/LoopDeletion.h"
#include "llvm/Transforms/Scalar/LoopPassManager.h"
#include "llvm/Transforms/Scalar/SROA.h"
#include "llvm/Transforms/Utils/Mem2Reg.h"
#include "llvm/Transforms/Scalar/SimplifyCFG.h"
#include "llvm/Transforms/InstCombine/InstCombine.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/Local.h"
#include "llvm/Transforms/Utils/LCSSA.h"
#include "llvm/Transforms/Utils/LoopSimplify.h"
#include "llvm/Transforms/Utils/LoopUtils.h"
#include "llvm/Transforms/Utils/LowerAtomic.h"
#include "llvm/Transforms/Utils/LowerSwitch.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/Transforms/Utils/ScalarEvolutionExpander.h"
#include "llvm/Transforms/Utils/UnrollLoop.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/TargetTransformInfo.h"

#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <map>
#include <set>
#include <string>

using namespace llvm;

namespace {

enum : unsigned {
	ST_DONE = 0xffffffffu,
	ST_MIXED = 0xfffffffeu,
	ST_UNIFORM = 0xfffffffdu,	/* region exit: the same for all threads, known at run time */
	ST_WARP = 0x10000u,	/* flag: resume state after a warp sync */
	ST_BALLOT = 0x20000u,	/* flag, with ST_WARP: that warp sync is a ballot's */
	ST_REDUCE = 0x80000u,	/* flag, with ST_WARP: cg::reduce's, its code in bits 20..28 */
};

/* @I a simple (not volatile, not atomic) load or store: its address @p and
 * the type it accesses @t */
bool simpleAccess(Instruction &I, Value *&p, Type *&t)
{
	if (auto *ld = dyn_cast<LoadInst>(&I); ld && ld->isSimple())
		p = ld->getPointerOperand(), t = ld->getType();
	else if (auto *st = dyn_cast<StoreInst>(&I); st && st->isSimple())
		p = st->getPointerOperand(), t = st->getValueOperand()->getType();
	else
		return false;
	return true;
}

/*
 * A copy of a region cut down by deleting instructions (@F's analyses
 * cleared first): the scalar clean-up that leaves only what the deleted
 * code did not need, and with @again a last CFG pass over what ADCE left.
 */
void tidyCut(Function &F, FunctionAnalysisManager &FAM, bool again)
{
	FunctionPassManager FPM;

	FAM.clear(F, F.getName());
	FPM.addPass(SROAPass(SROAOptions::ModifyCFG));
	FPM.addPass(EarlyCSEPass());
	FPM.addPass(InstCombinePass());
	FPM.addPass(SimplifyCFGPass());
	FPM.addPass(ADCEPass());
	if (again)
		FPM.addPass(SimplifyCFGPass());
	FPM.run(F, FAM);
}

/* field indices of struct __vgpu_ctx (cuda_cpu.h) */
enum { CTX_ARGS = 0, CTX_FRAME = 1, CTX_DSMEM = 2, CTX_NTHREADS = 3, CTX_UIN = 4, CTX_UOUT = 5 };
/* uniform values live across barriers: at most this many, 8 bytes each */
enum { NUNI = 32 };
/* byte offsets in struct __vgpu_ctx (cuda.h checks them): nthreads, xo; bid,
 * bdim and gdim up to state, which the block's index and size fill */
enum : uint64_t { CTX_FRAME_OFF = 8, CTX_NTHREADS_OFF = 24, CTX_XO_OFF = 28, CTX_BID_OFF = 552, CTX_BDIM_OFF = 564, CTX_GDIM_OFF = 576, CTX_STATE_OFF = 592 };
/* the vote counts at its end (vtrue, vn, vmax), and its size */
enum : uint64_t { CTX_VOTES_OFF = 764, CTX_SIZE = 776 };

struct Lower {
	Module &M;
	ModuleAnalysisManager &MAM;
	LLVMContext &C;
	Function *fTid[3] = {}, *fLin = nullptr, *fCtx = nullptr, *fBar = nullptr, *fWarp = nullptr,
		 *fBallot = nullptr, *fRed = nullptr;
	std::set<GlobalVariable *> shared;
	std::vector<GlobalVariable *> dynShared;
	bool failed = false;
	std::set<Function *> kernelSet, userFns;	/* the kernels; the module's functions before lowering */
	std::map<Function *, uint64_t> bounds;	/* __launch_bounds__' threads a block, where given */
	int nargs = 0;
	unsigned warpBranches = 0;	/* the kernel's, by predicateWarpBranches */

	Lower(Module &m, ModuleAnalysisManager &mam) : M(m), MAM(mam), C(m.getContext()) {}

	/*
	 * A refusal, reported through clang (which puts the kernel's own
	 * file:line in front): the message names the kernel, the user's
	 * file:line:col of the construct and the construct. The module is
	 * compiled with line tables (clang.c) for this; the location is the
	 * innermost one in the user's source, not in the device runtime
	 * (vgpu_cuda.h) that inlined helpers come from. Written into the text
	 * rather than given to clang as a DebugLoc: clang maps those back to
	 * files it can open, and the user's module name is not one.
	 */
	static std::string where(const DebugLoc &dl, bool column = true)
	{
		for (DILocation *l = dl.get(); l; l = l->getInlinedAt())
			if (!l->getFilename().endswith("vgpu_cuda.h") && l->getLine())
				return column ? (l->getFilename() + ":" + Twine(l->getLine()) + ":" +
						 Twine(l->getColumn()) + ": ").str()
					      : (l->getFilename() + ":" + Twine(l->getLine()) + " ").str();
		return "";
	}

	/* the location of a value: its own, else that of its first user that has one */
	static DebugLoc locOf(Value *v)
	{
		if (auto *I = dyn_cast<Instruction>(v); I && I->getDebugLoc())
			return I->getDebugLoc();
		for (User *U : v->users())
			if (auto *I = dyn_cast<Instruction>(U); I && I->getDebugLoc())
				return I->getDebugLoc();
		return DebugLoc();
	}

	void error(Function &F, const Twine &msg, const DebugLoc &dl = DebugLoc())
	{
		std::string text = (kernelSet.count(&F) ? "kernel '" : "function '") +
				   demangle(F.getName().str()) + "': " + where(dl) + msg.str();
		C.diagnose(DiagnosticInfoUnsupported(F, text, DebugLoc()));
		failed = true;
	}

	/* whether @v calls @f directly (never true of an indirect call or
	 * inline assembly, whose callee is no function, nor for a builtin @f the
	 * module does not use: null) */
	static bool calls(const Value *v, const Function *f)
	{
		auto *cb = dyn_cast_or_null<CallBase>(v);
		return f && cb && cb->getCalledFunction() == f;
	}

	/* whether @I calls a barrier or a warp sync */
	bool isSync(const Instruction &I) const
	{
		return calls(&I, fBar) || calls(&I, fWarp) || calls(&I, fBallot) || calls(&I, fRed);
	}

	/* the allocas of @F, in order */
	static std::vector<AllocaInst *> allocasOf(Function *F)
	{
		std::vector<AllocaInst *> v;
		for (Instruction &I : instructions(F))
			if (auto *a = dyn_cast<AllocaInst>(&I))
				v.push_back(a);
		return v;
	}

	/*
	 * Whether @L loads from the context at a constant offset (into @off):
	 * through the body's argument 0, or __vgpu_ctxp() in the kernel before
	 * its body is made (there argument 0 is the user's first parameter)
	 */
	bool ctxLoad(const LoadInst *L, APInt &off) const
	{
		off = APInt(64, 0);
		const Value *base = L->getPointerOperand()->stripAndAccumulateConstantOffsets(M.getDataLayout(), off, true);
		auto *A = dyn_cast<Argument>(base);
		return !L->isVolatile() && !L->isAtomic() &&
		       ((A && A->getArgNo() == 0 && !kernelSet.count(const_cast<Function *>(A->getParent()))) ||
			calls(base, fCtx));
	}

	/* whether @L reads a field of the context the same in every thread of
	 * the block: its size, its index, the grid's size */
	bool blockField(const LoadInst *L) const
	{
		APInt off;
		return ctxLoad(L, off) && off.ult(CTX_STATE_OFF) && (off.uge(CTX_BID_OFF) || off == CTX_NTHREADS_OFF);
	}

	bool isIntrinsic(const Function *f) const
	{
		return f && (f == fTid[0] || f == fTid[1] || f == fTid[2] || f == fLin || f == fCtx ||
			     f == fBar || f == fWarp || f == fBallot || f == fRed);
	}

	/* functions that (transitively) use an intrinsic */
	std::set<Function *> needInline;
	void findNeedInline()
	{
		bool changed = true;
		while (changed) {
			changed = false;
			for (Function &F : M) {
				if (F.isDeclaration() || needInline.count(&F))
					continue;
				for (Instruction &I : instructions(F)) {
					auto *cb = dyn_cast<CallBase>(&I);
					Function *callee = cb ? cb->getCalledFunction() : nullptr;
					if (callee && (isIntrinsic(callee) || needInline.count(callee))) {
						needInline.insert(&F);
						changed = true;
						break;
					}
				}
			}
		}
	}

	/*
	 * What has no meaning on the CPU, refused at the user's line before
	 * anything is lowered: inline assembly (PTX, the GPU's instruction set:
	 * the x86 assembler would only say "invalid register name"; the calls
	 * go, so that it does not), and a helper that uses threadIdx, a barrier
	 * or a warp function (needInline) whose address is taken: those are
	 * inlined into each kernel, and a call through a pointer would reach a
	 * body whose builtins are left undefined (the image failed to load with
	 * "undefined symbol: __vgpu_barrier").
	 */
	void refuseUnlowerable()
	{
		std::vector<CallBase *> asms;
		for (Function *F : userFns)
			for (Instruction &I : instructions(F))
				if (auto *cb = dyn_cast<CallBase>(&I); cb && cb->isInlineAsm()) {
					error(*F, "inline assembly (asm) is not supported by libvgpu's CPU backend "
						  "(it is PTX, the GPU's instruction set)", cb->getDebugLoc());
					asms.push_back(cb);
				}
		for (CallBase *cb : asms) {
			cb->replaceAllUsesWith(PoisonValue::get(cb->getType()));
			cb->eraseFromParent();
		}
		for (Function *F : needInline) {
			if (!userFns.count(F) || kernelSet.count(F))	/* (a kernel's address: its launch) */
				continue;
			for (Use &U : F->uses()) {
				auto *cb = dyn_cast<CallBase>(U.getUser());
				if (cb && cb->isCallee(&U))
					continue;
				auto *I = dyn_cast<Instruction>(U.getUser());
				DebugLoc at = I ? I->getDebugLoc() : DebugLoc();
				if (!at && F->getSubprogram())
					at = DILocation::get(C, F->getSubprogram()->getLine(), 0, F->getSubprogram());
				error(I ? *I->getFunction() : *F,
				      Twine("'") + demangle(F->getName().str()) +
					      "' uses threadIdx, a barrier or a warp function and is taken by address: "
					      "the CPU backend inlines such functions into each kernel and cannot call "
					      "them through a pointer",
				      at);
				break;
			}
		}
	}

	/* (@keepShfl: the calls of cuda.h's __shfl_down_sync and __shfl_xor_sync
	 * stay calls, for shuffleLoops) */
	bool inlineAll(Function &K, bool keepShfl = false)
	{
		for (int round = 0; round < 64; round++) {
			SmallVector<CallBase *, 16> calls;
			for (Instruction &I : instructions(K)) {
				auto *cb = dyn_cast<CallBase>(&I);
				if (!cb)
					continue;
				Function *callee = cb->getCalledFunction();
				if (keepShfl && shflKind(callee) >= 0)
					continue;
				/* and what is always inlined anyway (__forceinline__, vgpu_cuda.h's
				 * helpers): done later, argument promotion would first turn
				 * __ldg(&x[i]) into a load at the call without the thread
				 * loop's access group, and the loop would not vectorise */
				if (callee && !callee->isDeclaration() &&
				    (needInline.count(callee) || callee->hasFnAttribute(Attribute::AlwaysInline)))
					calls.push_back(cb);
				/* an indirect call stays: what it may reach is no helper
				 * of this kind (refuseUnlowerable) */
			}
			if (calls.empty())
				return true;
			for (CallBase *cb : calls) {
				InlineFunctionInfo ifi;
				Function *callee = cb->getCalledFunction();
				if (callee == &K) {
					error(K, "the kernel calls itself (recursion)", cb->getDebugLoc());
					return false;
				}
				DebugLoc at = cb->getDebugLoc();
				InlineResult r = InlineFunction(*cb, ifi);
				if (!r.isSuccess()) {
					error(K, Twine("cannot inline '") + demangle(callee->getName().str()) +
						 "', which uses threadIdx, a barrier or a warp function: " +
						 r.getFailureReason(), at);
					return false;
				}
			}
		}
		/* still calls after 64 levels: recursion; name a call of the user's that is left */
		for (Instruction &I : instructions(K))
			if (auto *cb = dyn_cast<CallBase>(&I))
				if (Function *f = cb->getCalledFunction(); f && needInline.count(f) && userFns.count(f)) {
					error(K, Twine("recursion through '") + demangle(f->getName().str()) +
						 "', which uses threadIdx, a barrier or a warp function (those "
						 "helpers are inlined into the kernel; recursion is not supported)",
					      cb->getDebugLoc());
					return false;
				}
		error(K, "helpers that use threadIdx, barriers or warp functions recurse");
		return false;
	}

	Function *get(const char *name)
	{
		return M.getFunction(name);
	}

	/* (what the analyses knew of @F is dropped first: the lowering changes
	 * its blocks between clean-ups) */
	void cleanup(Function &F)
	{
		FunctionAnalysisManager &FAM =
			MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		FAM.invalidate(F, PreservedAnalyses::none());
		FunctionPassManager FPM;
		FPM.addPass(SROAPass(SROAOptions::ModifyCFG));
		FPM.addPass(EarlyCSEPass());
		FPM.addPass(InstCombinePass());
		FPM.addPass(SimplifyCFGPass());
		FPM.addPass(SROAPass(SROAOptions::ModifyCFG));
		FPM.run(F, FAM);
	}

	/* replace uses of a global (also inside constant expressions) in F by V */
	static void replaceGlobalIn(Function &F, GlobalVariable *G, Value *V)
	{
		SmallVector<Use *, 16> uses;
		for (Use &U : G->uses())
			uses.push_back(&U);
		for (Use *U : uses) {
			User *u = U->getUser();
			if (auto *I = dyn_cast<Instruction>(u)) {
				if (I->getFunction() == &F)
					U->set(V);
			} else if (auto *CE = dyn_cast<ConstantExpr>(u)) {
				SmallVector<Use *, 8> ceuses;
				for (Use &U2 : CE->uses())
					ceuses.push_back(&U2);
				for (Use *U2 : ceuses) {
					auto *I = dyn_cast<Instruction>(U2->getUser());
					if (!I || I->getFunction() != &F)
						continue;
					Instruction *NI = CE->getAsInstruction();
					if (auto *phi = dyn_cast<PHINode>(I))
						NI->insertBefore(phi->getIncomingBlock(*U2)->getTerminator());
					else
						NI->insertBefore(I);
					NI->replaceUsesOfWith(G, V);
					U2->set(NI);
				}
			}
		}
	}

	/*
	 * body(ctx, x, y, z, lin[, resume]): the kernel with its parameters
	 * loaded from ctx->args, the builtins replaced.
	 */
	/* how each IR parameter of K is read from the args array (clang's
	 * x86-64 ABI splits a small struct into "<name>.coerce0/1") */
	struct ParamLoad {
		int src;		/* index in args[] */
		unsigned offset;	/* bytes into the value */
		bool byval;
		Type *ty;
	};
	std::vector<ParamLoad> paramLoads(Function &K)
	{
		std::vector<ParamLoad> out;
		int src = -1;
		std::string prevBase;
		for (Argument &A : K.args()) {
			StringRef n = A.getName();
			unsigned piece = 0;
			std::string base = n.str();
			size_t p = n.rfind(".coerce");
			if (p != StringRef::npos) {
				base = n.substr(0, p).str();
				StringRef d = n.substr(p + 7);
				if (!d.empty())
					d.getAsInteger(10, piece);
			}
			if (!(piece > 0 && base == prevBase))
				src++;
			prevBase = base;
			out.push_back({ src, 8 * piece, A.hasByValAttr() || A.hasByRefAttr(), A.getType() });
		}
		return out;
	}

	/* the kernel's parameter values, loaded from ctx->args at b */
	std::vector<Value *> loadParams(IRBuilder<> &b, Value *ctx, const std::vector<ParamLoad> &pl)
	{
		Type *ptr = PointerType::get(C, 0);
		std::vector<Value *> v;
		Value *argsArr = b.CreateLoad(ptr, b.CreateStructGEP(ctxType(), ctx, CTX_ARGS), "args");
		for (const ParamLoad &p : pl) {
			Value *slot = b.CreateLoad(ptr, b.CreateConstGEP1_32(ptr, argsArr, p.src));
			if (p.byval) {
				v.push_back(slot);
				continue;
			}
			Value *addr = p.offset ? b.CreateConstGEP1_32(b.getInt8Ty(), slot, p.offset) : slot;
			v.push_back(b.CreateLoad(p.ty, addr));
		}
		return v;
	}

	/*
	 * body(ctx, x, y, z, lin[, resume], params...): the kernel with the
	 * builtins replaced.
	 */
	Function *makeBody(Function &K, bool regions)
	{
		Type *i32 = Type::getInt32Ty(C), *ptr = PointerType::get(C, 0);
		SmallVector<Type *, 16> ps = { ptr, i32, i32, i32, i32 };
		if (regions)
			ps.push_back(i32);
		unsigned first = ps.size();
		for (Argument &A : K.args())
			ps.push_back(A.getType());
		FunctionType *ft = FunctionType::get(regions ? i32 : Type::getVoidTy(C), ps, false);
		Function *B = Function::Create(ft, GlobalValue::InternalLinkage, "__vgpu_body." + K.getName(), M);
		Argument *ctx = B->getArg(0);
		ValueToValueMapTy VM;
		for (Argument &A : K.args()) {
			Argument *NA = B->getArg(first + A.getArgNo());
			NA->setName(A.getName());
			if (A.hasByValAttr()) {
				/* a private copy, as the ABI's byval gives */
				NA->addAttr(Attribute::getWithByValType(C, A.getParamByValType()));
			}
			VM[&A] = NA;
		}
		SmallVector<ReturnInst *, 4> rets;
		CloneFunctionInto(B, &K, VM, CloneFunctionChangeType::LocalChangesOnly, rets);
		B->setLinkage(GlobalValue::InternalLinkage);
		B->addFnAttr(Attribute::AlwaysInline);
		B->removeFnAttr(Attribute::NoInline);
		B->addFnAttr(Attribute::NoUnwind);
		/* builtins */
		Value *dsm = nullptr;
		std::vector<CallInst *> kill;
		for (Instruction &I : instructions(B)) {
			auto *ci = dyn_cast<CallInst>(&I);
			Function *f = ci ? ci->getCalledFunction() : nullptr;
			if (!f)
				continue;
			Value *r = nullptr;
			for (int d = 0; d < 3; d++)
				if (f == fTid[d])
					r = B->getArg(1 + d);
			if (f == fLin)
				r = B->getArg(4);
			if (f == fCtx)
				r = ctx;
			if (r) {
				ci->replaceAllUsesWith(r);
				kill.push_back(ci);
			}
		}
		for (CallInst *ci : kill)
			ci->eraseFromParent();
		for (GlobalVariable *G : dynShared) {
			if (!dsm) {
				IRBuilder<> e(&*B->getEntryBlock().getFirstInsertionPt());
				dsm = e.CreateLoad(ptr, e.CreateStructGEP(ctxType(), ctx, CTX_DSMEM), "dsmem");
			}
			replaceGlobalIn(*B, G, dsm);
		}
		/*
		 * __shared__ variables are thread-local (a worker runs one block
		 * at a time): their address taken once on entry, through
		 * llvm.threadlocal.address, which LICM may hoist out of the
		 * drivers' thread loops. A reference straight to the global
		 * costs a __tls_get_addr call per access in a shared object.
		 */
		for (GlobalVariable *G : shared) {
			bool used = false;
			for (User *U : G->users())
				if (auto *I = dyn_cast<Instruction>(U))
					used = used || I->getFunction() == B;
				else
					used = true;	/* a constant expression: replaceGlobalIn looks inside */
			if (!used)
				continue;
			IRBuilder<> e(&*B->getEntryBlock().getFirstInsertionPt());
			CallInst *a = e.CreateIntrinsic(Intrinsic::threadlocal_address, { G->getType() }, { G });
			replaceGlobalIn(*B, G, a);
			a->setArgOperand(0, G);
		}
		for (BasicBlock &BB : *B)
			if (auto *R = dyn_cast<ReturnInst>(BB.getTerminator()); R && regions) {
				ReturnInst::Create(C, ConstantInt::get(i32, ST_DONE), R);
				R->eraseFromParent();
			}
		return B;
	}

	StructType *ctxTy = nullptr;
	StructType *ctxType()
	{
		if (!ctxTy) {
			Type *ptr = PointerType::get(C, 0), *i32 = Type::getInt32Ty(C);
			/* args, frame, dsmem, nthreads, uin[32], uout: the head of
			 * struct __vgpu_ctx (cuda.h) */
			ArrayType *u = ArrayType::get(Type::getInt64Ty(C), NUNI);
			ctxTy = StructType::get(C, { ptr, ptr, ptr, i32, u, ptr });
		}
		return ctxTy;
	}

	/* clone template T into a new function named name, its call to placeholder ph going to target */
	Function *instantiate(Function *T, const Twine &name, std::map<Function *, Function *> repl,
			      GlobalValue::LinkageTypes link, const std::vector<ParamLoad> *params = nullptr)
	{
		ValueToValueMapTy VM;
		Function *N = CloneFunction(T, VM);
		N->setName(name);
		N->setLinkage(link);
		if (link == GlobalValue::ExternalLinkage)
			N->setVisibility(GlobalValue::DefaultVisibility);
		N->removeFnAttr(Attribute::NoInline);
		N->removeFnAttr(Attribute::OptimizeNone);
		/* the drivers' thread loops say "parallel" (cuda.h's
		 * __VGPU_THREAD_LOOP), not "vectorise at any cost": the pragma's
		 * llvm.loop.vectorize.enable goes, the cost model decides */
		for (BasicBlock &BB : *N)
			if (MDNode *L = BB.getTerminator()->getMetadata(LLVMContext::MD_loop)) {
				SmallVector<Metadata *, 4> ops = { nullptr };
				for (unsigned i = 1; i < L->getNumOperands(); i++) {
					auto *op = dyn_cast<MDNode>(L->getOperand(i));
					auto *tag = op && op->getNumOperands() ? dyn_cast<MDString>(op->getOperand(0)) : nullptr;
					if (!tag || tag->getString() != "llvm.loop.vectorize.enable")
						ops.push_back(L->getOperand(i));
				}
				MDNode *NL = MDNode::getDistinct(C, ops);
				NL->replaceOperandWith(0, NL);
				BB.getTerminator()->setMetadata(LLVMContext::MD_loop, NL);
			}
		/* the drivers' helpers first: they read E->args */
		for (bool again = true; again;) {
			again = false;
			for (Instruction &I : instructions(N))
				if (auto *ci = dyn_cast<CallInst>(&I))
					if (Function *f = ci->getCalledFunction())
						if (f->getName().contains("__vgpu_ctx_") && !f->isDeclaration()) {
							InlineFunctionInfo ifi;
							InlineFunction(*ci, ifi);
							again = true;
							break;
						}
		}
		std::vector<CallInst *> argl, calls;
		for (Instruction &I : instructions(N))
			if (auto *ci = dyn_cast<CallInst>(&I))
				if (Function *f = ci->getCalledFunction()) {
					if (repl.count(f))
						calls.push_back(ci);
					else if (f->getName() == "__vgpu_args")
						argl.push_back(ci);
				}
		std::vector<Value *> pv;
		if (params && !calls.empty()) {
			IRBuilder<> b(&*N->getEntryBlock().getFirstInsertionPt());
			pv = loadParams(b, N->getArg(0), *params);
		}
		for (CallInst *ci : calls) {
			Function *to = repl[ci->getCalledFunction()];
			if (!params) {
				ci->setCalledFunction(to);
				continue;
			}
			SmallVector<Value *, 16> a(ci->args());
			a.append(pv.begin(), pv.end());
			CallInst *nc = CallInst::Create(to->getFunctionType(), to, a, "", ci);
			nc->copyMetadata(*ci);
			ci->replaceAllUsesWith(nc);
			ci->eraseFromParent();
			/* inlined here, with the thread loop's access group on the
			 * call (cuda.h's __VGPU_THREAD_LOOP) going onto every memory
			 * access of the body: O3's inliner would drop it */
			if (nc->hasMetadata(LLVMContext::MD_access_group)) {
				InlineFunctionInfo ifi;
				InlineFunction(*nc, ifi);
			}
		}
		/* E->args, dereferenceable for the kernel's parameters: lets
		 * their loads be hoisted out of conditional code */
		for (CallInst *ci : argl) {
			IRBuilder<> b(ci);
			Type *ptr = PointerType::get(C, 0);
			auto *L = b.CreateLoad(ptr, b.CreateConstGEP1_32(b.getInt8Ty(), ci->getArgOperand(0), 24));
			L->setMetadata(LLVMContext::MD_invariant_load, MDNode::get(C, {}));
			L->setMetadata(LLVMContext::MD_dereferenceable,
				       MDNode::get(C, ConstantAsMetadata::get(b.getInt64(8 * (nargs ? nargs : 1)))));
			L->setMetadata(LLVMContext::MD_align,
				       MDNode::get(C, ConstantAsMetadata::get(b.getInt64(8))));
			ci->replaceAllUsesWith(L);
			ci->eraseFromParent();
		}
		return N;
	}

	/*
	 * Whether calling @f touches no memory: a function of the module
	 * (vgpu_cuda.h's min/max, a user's helper) whose body, once its locals
	 * are promoted, neither reads nor writes memory nor calls anything
	 * that does. Function attributes are not inferred yet at the start of
	 * the pipeline, where the lowering runs.
	 */
	std::map<Function *, bool> pureMemo;
	bool pureFunction(Function *f)
	{
		if (!f)
			return false;
		if (f->doesNotAccessMemory())
			return true;
		if (f->isDeclaration() || f->isVarArg())
			return false;
		if (auto it = pureMemo.find(f); it != pureMemo.end())
			return it->second;
		pureMemo[f] = false;	/* recursion: not pure */
		cleanup(*f);
		bool pure = true;
		for (Instruction &I : instructions(*f)) {
			if (auto *cb = dyn_cast<CallBase>(&I))
				pure = pure && !cb->isInlineAsm() && (cb->doesNotAccessMemory() || pureFunction(cb->getCalledFunction()));
			else
				pure = pure && !I.mayReadOrWriteMemory() && !isa<AllocaInst>(&I);
		}
		pureMemo[f] = pure;
		return pure;
	}
	bool pureCall(CallBase *cb)
	{
		/* clang marks every CUDA function convergent: what matters is
		 * that a pure body holds no barrier (a barrier touches memory) */
		Function *f = cb->getCalledFunction();
		return f != fBar && f != fWarp && f != fBallot && f != fRed && (cb->doesNotAccessMemory() || pureFunction(f));
	}

	/* blocks that hold only a barrier call */
	struct Bar {
		BasicBlock *bb;
		bool warp;
		unsigned state;
		std::string label;	/* where the region after it starts, for the profile (regionTable) */
	};

	/*
	 * Which of the candidate allocas (scalars only loaded and stored) hold
	 * the same value in every thread of a block: every store to them stores
	 * a uniform value in uniformly executed code. A value is uniform when it
	 * does not depend on the thread index (x, y, z, lin), on a per-thread
	 * alloca, on an atomic, or on a call that may read memory. Optimistic
	 * fixpoint: all candidates uniform at first, removed until stable.
	 * Nor one stored after a barrier or warp sync under such a branch
	 * (halves of a warp shuffling in the two sides of an if) before the
	 * next barrier: the group stopped there runs that part after the
	 * others have gone on, and one value per block (what the group that
	 * ran last left) is not the one it stopped with.
	 */
	std::set<AllocaInst *> uniformAllocas(Function *B, const std::vector<AllocaInst *> &cands)
	{
		std::set<AllocaInst *> uni(cands.begin(), cands.end());
		PostDominatorTree PDT(*B);
		DominatorTree DT(*B);
		LoopInfo LI(DT);
		for (;;) {
			std::map<Value *, bool> memo;
			std::function<bool(Value *)> isU = [&](Value *v) -> bool {
				if (isa<Constant>(v) || isa<BasicBlock>(v))
					return true;
				if (auto *A = dyn_cast<Argument>(v))
					return A->getArgNo() == 0 || A->getArgNo() >= 5;
				auto *I = dyn_cast<Instruction>(v);
				if (!I)
					return false;
				auto it = memo.find(v);
				if (it != memo.end())
					return it->second;
				memo[v] = false;	/* cycles (none expected) are not uniform */
				bool u;
				if (auto *L = dyn_cast<LoadInst>(I)) {
					Value *p = L->getPointerOperand();
					if (auto *a = dyn_cast<AllocaInst>(p))
						u = uni.count(a) && !L->isVolatile();
					else if (isa<AllocaInst>(getUnderlyingObject(p)))
						u = false;
					else
						u = !L->isVolatile() && !L->isAtomic() && isU(p);
				} else if (isa<AllocaInst>(I)) {
					/* the address of a thread's own copy (a slot of the
					 * frame once it lives across barriers): a pointer to
					 * a private array kept in a variable (ping-pong
					 * buffers swapped in a loop) differs per thread, and so
					 * does what is loaded through it */
					u = false;
				} else if (auto *cb = dyn_cast<CallBase>(I)) {
					u = pureCall(cb) || (cb->onlyReadsMemory() && !cb->isConvergent());
					for (Value *a : cb->args())
						u = u && isU(a);
				} else if (isa<AtomicRMWInst>(I) || isa<AtomicCmpXchgInst>(I) || isa<PHINode>(I)) {
					u = false;
				} else {
					u = true;
					for (Value *op : I->operands())
						u = u && isU(op);
				}
				memo[v] = u;
				return u;
			};
			/* blocks under a branch that depends on the thread */
			std::set<BasicBlock *> div;
			for (BasicBlock &BB : *B) {
				Value *cond = branchCondition(&BB);
				if (cond && !isU(cond) && !earlyReturn(&BB, LI))
					blocksUnder(&BB, PDT, div);
			}
			/* what a group stopped under such a branch runs after the
			 * others have gone on: from its barrier to the next one */
			auto isBar = [&](BasicBlock *b) {
				for (Instruction &I : *b)
					if (isSync(I))
						return true;
				return false;
			};
			std::set<BasicBlock *> late;
			for (BasicBlock *b : div) {
				if (!isBar(b))
					continue;
				std::vector<BasicBlock *> work(succ_begin(b), succ_end(b));
				while (!work.empty()) {
					BasicBlock *w = work.back();
					work.pop_back();
					if (isBar(w) || !late.insert(w).second)
						continue;
					for (BasicBlock *s2 : successors(w))
						work.push_back(s2);
				}
			}
			std::set<AllocaInst *> next;
			for (AllocaInst *a : uni) {
				bool ok = true;
				for (User *U : a->users())
					if (auto *st = dyn_cast<StoreInst>(U))
						ok = ok && !div.count(st->getParent()) && !late.count(st->getParent()) &&
						     isU(st->getValueOperand());
				if (ok)
					next.insert(a);
			}
			if (next == uni)
				return uni;
			uni.swap(next);
		}
	}

	/* 1. each barrier alone in its block; @barIdx: such a block -> its index in the result */
	uint64_t reduceKinds = 0;	/* the kernel's cg::reduce kinds (bits type | op << 3), for its driver */
	std::vector<Bar> isolateBarriers(Function *B, std::map<BasicBlock *, unsigned> &barIdx, unsigned &nb,
					 unsigned &nw)
	{
		reduceKinds = 0;
		std::vector<CallInst *> bars;
		for (Instruction &I : instructions(B))
			if (isSync(I))
				bars.push_back(cast<CallInst>(&I));
		std::vector<Bar> bl;
		for (CallInst *ci : bars) {
			BasicBlock *bb = ci->getParent();
			BasicBlock *mid = SplitBlock(bb, ci);
			SplitBlock(mid, ci->getNextNode());
			const bool ballot = ci->getCalledFunction() == fBallot;
			/* cg::reduce's: the driver reduces by the code (cuda.h, a constant) */
			const bool red = ci->getCalledFunction() == fRed;
			const bool warp = ballot || red || ci->getCalledFunction() == fWarp;
			unsigned code = 0;
			if (red) {
				code = (unsigned)cast<ConstantInt>(ci->getArgOperand(0))->getZExtValue() & 0x7ffu;
				reduceKinds |= 1ull << (code & 63u);
			}
			(warp ? nw : nb)++;
			barIdx[mid] = bl.size();
			const char *kind = red		  ? "after a cg::reduce"
					   : ballot	  ? "after a warp vote"
					   : warp	  ? "after a warp sync"
					   : ci->getMetadata("vgpu.cut") ? "a loop's trip"
									  : "after a barrier";
			bl.push_back({ mid, warp,
				       (unsigned)bl.size() + 1 + (warp ? ST_WARP : 0) + (ballot ? ST_BALLOT : 0) +
					       (red ? ST_REDUCE | code << 20 : 0),
				       where(ci->getDebugLoc(), false) + kind });
		}
		return bl;
	}

	/*
	 * Whether @v can be computed again wherever it is used: a pure
	 * function of the thread index, the parameters, the block's index and
	 * dimensions (loads from the context at their offsets, which do not
	 * change during a block) and constants, in at most @budget instructions.
	 */
	bool recomputable(Value *v, unsigned &budget, std::map<Value *, bool> &memo,
			  const std::set<AllocaInst *> *uniform = nullptr)
	{
		if (isa<Constant>(v) || isa<Argument>(v))
			return true;
		auto *I = dyn_cast<Instruction>(v);
		if (calls(I, fCtx))
			return true;	/* the context pointer, in the kernel before its body is made */
		if (!I || isa<PHINode>(I) || isa<AllocaInst>(I) || I->isTerminator() || I->mayHaveSideEffects() || I->isEHPad())
			return false;
		if (auto it = memo.find(v); it != memo.end())
			return it->second;
		memo[v] = false;
		if (!budget)
			return false;
		budget--;
		bool ok;
		if (auto *L = dyn_cast<LoadInst>(I); L && uniform && isa<AllocaInst>(L->getPointerOperand())) {
			ok = !L->isVolatile() && uniform->count(cast<AllocaInst>(L->getPointerOperand()));
			memo[v] = ok;	/* its operand is the variable itself */
			return ok;
		} else if (auto *L = dyn_cast<LoadInst>(I)) {
			ok = blockField(L);
		} else if (auto *cb = dyn_cast<CallBase>(I)) {
			ok = isa<IntrinsicInst>(cb) && cb->doesNotAccessMemory() && !cb->isConvergent();
		} else {
			ok = !I->mayReadOrWriteMemory();
		}
		for (unsigned i = 0; ok && i < I->getNumOperands(); i++)
			ok = recomputable(I->getOperand(i), budget, memo, uniform);
		memo[v] = ok;
		return ok;
	}

	/* a copy of recomputable @v's instructions before @at, @done mapping
	 * what is copied already (and, into another function, its arguments).
	 * @moved: the copy leaves the code it came from (another function,
	 * computed for every thread where the original had its tests): no
	 * poison-generating flags, no debug location */
	static Value *recompute(Value *v, Instruction *at, std::map<Value *, Value *> &done, bool moved = false)
	{
		if (auto it = done.find(v); it != done.end())
			return it->second;
		auto *I = dyn_cast<Instruction>(v);
		if (!I || isa<AllocaInst>(I))	/* a variable: read again, not copied */
			return v;
		Instruction *N = I->clone();
		for (unsigned i = 0; i < N->getNumOperands(); i++)
			N->setOperand(i, recompute(I->getOperand(i), at, done, moved));
		if (moved) {
			N->dropPoisonGeneratingFlags();
			N->setDebugLoc(DebugLoc());
		}
		N->insertBefore(at);
		N->setName(I->getName() + ".re");
		done[v] = N;
		return N;
	}

	/*
	 * 1b. a value used in another block that is cheap to compute again
	 * from the thread index, the parameters and the block's coordinates
	 * (x = blockIdx.x * BX + tx, a tile's row address, a bounds test) is
	 * computed again where it is used instead of living in a slot per
	 * thread: a region then indexes with an affine function of its thread
	 * loop's variable, which the vectoriser turns into contiguous accesses
	 * (a reloaded slot makes them gathers), and the frame is smaller.
	 */
	void rematerialize(Function *B)
	{
		std::map<Value *, bool> memo;
		std::vector<std::pair<Instruction *, Use *>> uses;
		for (BasicBlock &BB : *B)
			for (Instruction &I : BB) {
				unsigned budget = 16;
				bool cross = false;
				for (Use &U : I.uses())
					cross = cross || cast<Instruction>(U.getUser())->getParent() != &BB;
				if (!cross || !recomputable(&I, budget, memo))
					continue;
				for (Use &U : I.uses())
					if (cast<Instruction>(U.getUser())->getParent() != &BB)
						uses.push_back({ &I, &U });
			}
		for (auto &[I, U] : uses) {
			auto *user = cast<Instruction>(U->getUser());
			Instruction *at = user;
			if (auto *phi = dyn_cast<PHINode>(user))
				at = phi->getIncomingBlock(*U)->getTerminator();
			std::map<Value *, Value *> done;
			U->set(recompute(I, at, done));
		}
	}

	/*
	 * 2. values that cross blocks go to memory (re-promoted later where
	 * they stay inside one region). The entry block keeps only the allocas:
	 * it runs again on every resume. Returns where new allocas go.
	 */
	Instruction *demoteCrossBlockValues(Function *B)
	{
		BasicBlock &entry = B->getEntryBlock();
		std::vector<AllocaInst *> fixed;
		for (Instruction &I : instructions(B))
			if (auto *a = dyn_cast<AllocaInst>(&I))
				if (isa<ConstantInt>(a->getArraySize()))
					fixed.push_back(a);
		for (auto ai = fixed.rbegin(); ai != fixed.rend(); ++ai)
			(*ai)->moveBefore(&*entry.getFirstInsertionPt());
		auto it = entry.begin();
		while (isa<AllocaInst>(&*it))
			++it;
		SplitBlock(&entry, &*it, (DominatorTree *)nullptr, nullptr, nullptr, "start");
		Instruction *allocaPt = entry.getTerminator();
		/* a loop's ways out get blocks of their own (LLVM's dedicated
		 * exits): a phi's store for such an edge goes there, after the
		 * loop, and not into the loop's exiting block. A value set to a constant as a
		 * divergent loop (a warp-stride loop) exits, the counter of the
		 * shuffle loop after it, was taken for one stored under that
		 * loop's branch: a value per thread, and each shuffle a gather */
		{
			DominatorTree DT(*B);
			LoopInfo LI(DT);
			for (Loop *L : LI.getLoopsInPreorder())
				formDedicatedExitBlocks(L, &DT, &LI, nullptr, false);
		}
		std::vector<PHINode *> phis;
		for (BasicBlock &BB : *B)
			for (PHINode &P : BB.phis())
				phis.push_back(&P);
		for (PHINode *P : phis)
			DemotePHIToStack(P, allocaPt);
		std::vector<Instruction *> cross;
		for (BasicBlock &BB : *B)
			for (Instruction &I : BB) {
				if (isa<AllocaInst>(&I) && &BB == &entry)
					continue;
				for (User *U : I.users())
					if (cast<Instruction>(U)->getParent() != &BB) {
						cross.push_back(&I);
						break;
					}
			}
		for (Instruction *I : cross)
			DemoteRegToStack(*I, false, allocaPt);
		return allocaPt;
	}

	/* 3. regions: blocks reachable from a start without passing a barrier */
	static std::map<BasicBlock *, std::set<unsigned>> findRegions(const std::vector<BasicBlock *> &starts,
								      const std::map<BasicBlock *, unsigned> &barIdx)
	{
		std::map<BasicBlock *, std::set<unsigned>> regionsOf;
		for (unsigned r = 0; r < starts.size(); r++) {
			std::vector<BasicBlock *> work = { starts[r] };
			std::set<BasicBlock *> seen;
			while (!work.empty()) {
				BasicBlock *bb = work.back();
				work.pop_back();
				if (!seen.insert(bb).second)
					continue;
				regionsOf[bb].insert(r);
				if (barIdx.count(bb))
					continue;
				for (BasicBlock *s : successors(bb))
					work.push_back(s);
			}
		}
		return regionsOf;
	}

	/* the regions that use alloca @a (through addresses derived from it); @escapes: its address is stored or passed */
	static std::set<unsigned> regionsUsing(AllocaInst *a, std::map<BasicBlock *, std::set<unsigned>> &regionsOf,
					       bool &escapes)
	{
		std::set<unsigned> rs;
		std::vector<Value *> work = { a };
		std::set<Value *> seen;
		escapes = false;
		while (!work.empty()) {
			Value *v = work.back();
			work.pop_back();
			if (!seen.insert(v).second)
				continue;
			for (User *U : v->users()) {
				auto *I = cast<Instruction>(U);
				auto &s = regionsOf[I->getParent()];
				rs.insert(s.begin(), s.end());
				if (isa<GetElementPtrInst>(I) || isa<CastInst>(I) || isa<SelectInst>(I) || isa<PHINode>(I))
					work.push_back(I);
				else if (auto *st = dyn_cast<StoreInst>(I)) {
					if (st->getValueOperand() == v)
						escapes = true;
				} else if (!isa<LoadInst>(I) && !isa<MemIntrinsic>(I))
					escapes = true;
			}
		}
		return rs;
	}

	/*
	 * Whether scalar variable @a (only loaded and stored whole) can be read
	 * at the start of a region before it is written there: then it lives
	 * across a barrier. A variable used in several regions only because its
	 * blocks are reached from several barriers (a loop body: from the top
	 * and after the loop's barriers) but always written before it is read
	 * needs no slot.
	 */
	static bool liveIn(AllocaInst *a, const std::vector<BasicBlock *> &starts,
			   const std::map<BasicBlock *, unsigned> &barIdx)
	{
		for (size_t r = 1; r < starts.size(); r++) {
			std::set<BasicBlock *> seen;
			std::vector<BasicBlock *> work = { starts[r] };
			while (!work.empty()) {
				BasicBlock *b = work.back();
				work.pop_back();
				if (!seen.insert(b).second)
					continue;
				bool stored = false;
				for (Instruction &I : *b) {
					if (auto *L = dyn_cast<LoadInst>(&I); L && L->getPointerOperand() == a)
						return true;
					if (auto *S = dyn_cast<StoreInst>(&I); S && S->getPointerOperand() == a) {
						stored = true;
						break;
					}
				}
				if (stored || barIdx.count(b))
					continue;
				for (BasicBlock *s2 : successors(b))
					work.push_back(s2);
			}
		}
		return false;
	}

	/*
	 * 4. the allocas used in more than one region (or whose address
	 * escapes), into @live; false (reported) for one of variable length
	 */
	bool liveAcrossBarriers(Function &K, Function *B, std::map<BasicBlock *, std::set<unsigned>> &regionsOf,
				std::vector<AllocaInst *> &live, const std::vector<BasicBlock *> &starts,
				const std::map<BasicBlock *, unsigned> &barIdx)
	{
		std::vector<IntrinsicInst *> lifetimes;
		for (Instruction &I : instructions(B))
			if (auto *ii = dyn_cast<IntrinsicInst>(&I))
				if (ii->isLifetimeStartOrEnd())
					lifetimes.push_back(ii);
		for (IntrinsicInst *ii : lifetimes)
			ii->eraseFromParent();
		std::vector<AllocaInst *> allocas = allocasOf(B);
		std::vector<AllocaInst *> scalars = uniformCandidates(allocas);
		std::set<AllocaInst *> scalar(scalars.begin(), scalars.end());
		for (AllocaInst *a : allocas) {
			bool escapes;
			if (regionsUsing(a, regionsOf, escapes).size() <= 1 && !escapes)
				continue;
			if (scalar.count(a) && !liveIn(a, starts, barIdx))
				continue;
			if (!a->isStaticAlloca() || !a->getAllocationSizeInBits(M.getDataLayout())) {
				error(K, "a variable-length array lives across a barrier (what a thread "
					 "keeps across barriers must have a constant size)", locOf(a));
				return false;
			}
			live.push_back(a);
		}
		return true;
	}

	/* which of @live could be uniform: scalars of at most 8 bytes, only loaded and stored whole */
	std::vector<AllocaInst *> uniformCandidates(const std::vector<AllocaInst *> &live)
	{
		const DataLayout &DL = M.getDataLayout();
		std::vector<AllocaInst *> cands;
		for (AllocaInst *a : live) {
			Type *t = a->getAllocatedType();
			bool ok = !a->isArrayAllocation() && (t->isIntegerTy() || t->isFloatingPointTy() ||
							      t->isPointerTy()) &&
				  DL.getTypeAllocSize(t) <= 8;
			for (User *U : a->users()) {
				if (auto *st = dyn_cast<StoreInst>(U))
					ok = ok && st->getPointerOperand() == a && st->getValueOperand() != a &&
					     st->getValueOperand()->getType() == t;
				else if (auto *ld = dyn_cast<LoadInst>(U))
					ok = ok && ld->getType() == t;
				else
					ok = false;
			}
			if (ok)
				cands.push_back(a);
		}
		return cands;
	}

	/*
	 * The live allocas: uniform scalars one value per block (ctx->uin/uout,
	 * into @uni), the rest a slot per thread in the frame (into @priv, at
	 * their offsets; *@frame the bytes per thread). False (reported) over 64 KiB.
	 */
	bool layoutFrame(Function &K, Function *B, const std::vector<AllocaInst *> &live, std::vector<AllocaInst *> &uni,
			 std::vector<std::pair<AllocaInst *, uint64_t>> &priv, uint64_t &frame)
	{
		const DataLayout &DL = M.getDataLayout();
		uint64_t biggest = 0;
		AllocaInst *big = nullptr;
		/* every scalar alloca takes part: a branch on a region-local
		 * counter decides whether the blocks under it run in every thread */
		const std::vector<AllocaInst *> scalars = uniformCandidates(allocasOf(B));
		std::set<AllocaInst *> uniSet = uniformAllocas(B, scalars);
		std::set<AllocaInst *> gone = recomputeFromUniform(B, live, scalars, uniSet);
		frame = 0;
		for (AllocaInst *a : live) {
			if (gone.count(a))
				continue;
			if (uniSet.count(a) && uni.size() < NUNI) {
				uni.push_back(a);
				continue;
			}
			uint64_t sz = *a->getAllocationSizeInBits(DL) / 8;
			sz = (sz + 15) & ~15ull;
			priv.push_back({ a, frame });
			frame += sz;
			if (sz > biggest) {
				biggest = sz;
				big = a;
			}
		}
		if (frame > 64 * 1024) {
			error(K, Twine("the per-thread state live across barriers is ") + Twine(frame) +
				 " bytes (more than 64 KiB); the largest part, " + Twine(biggest) +
				 " bytes, is the variable used here", big ? locOf(big) : DebugLoc());
			return false;
		}
		return true;
	}

	/* whether a store to one of @us lies on a path from @S to @L that does not pass @S again */
	static bool storedBetween(Instruction *S, Instruction *L, const std::set<Value *> &us)
	{
		auto stores = [&](BasicBlock::iterator b, BasicBlock::iterator e) {
			for (; b != e; ++b)
				if (auto *st = dyn_cast<StoreInst>(&*b); st && us.count(st->getPointerOperand()))
					return true;
			return false;
		};
		BasicBlock *sb = S->getParent(), *lb = L->getParent();
		if (sb == lb && S->comesBefore(L))
			return stores(std::next(S->getIterator()), L->getIterator());
		/* blocks reached from @from's successors (or predecessors) without entering sb */
		auto reach = [&](BasicBlock *from, bool forward) {
			std::set<BasicBlock *> seen;
			std::vector<BasicBlock *> work;
			auto next = [&](BasicBlock *b) {
				if (forward)
					work.insert(work.end(), succ_begin(b), succ_end(b));
				else
					work.insert(work.end(), pred_begin(b), pred_end(b));
			};
			next(from);
			while (!work.empty()) {
				BasicBlock *b = work.back();
				work.pop_back();
				if (b != sb && seen.insert(b).second)
					next(b);
			}
			return seen;
		};
		std::set<BasicBlock *> fwd = reach(sb, true), back = reach(lb, false);
		if (stores(std::next(S->getIterator()), sb->end()) || stores(lb->begin(), L->getIterator()))
			return true;
		if (reach(lb, true).count(lb) && stores(lb->begin(), lb->end()))
			return true;	/* lb in a loop that does not pass sb */
		for (BasicBlock *b : fwd)
			if (b != lb && back.count(b) && stores(b->begin(), b->end()))
				return true;
		return false;
	}

	/*
	 * A per-thread value computed from the thread index, the parameters,
	 * the block's coordinates and uniform variables (y = y0 + threadIdx.y,
	 * y0 a uniform loop counter) is computed again where it is read, its
	 * uniform variables read there too, when none of them can have changed
	 * in between: one store of it dominating every load, no store to those
	 * variables on the way. A tile's rows then stay affine in the thread
	 * loop's variable (contiguous vector accesses, not gathers through a
	 * slot). Returns the per-thread allocas this empties (gone from the frame).
	 */
	std::set<AllocaInst *> recomputeFromUniform(Function *B, const std::vector<AllocaInst *> &live,
						    const std::vector<AllocaInst *> &scalars, const std::set<AllocaInst *> &uniSet)
	{
		std::set<AllocaInst *> gone, usable;
		for (AllocaInst *a : live)
			if (uniSet.count(a))
				usable.insert(a);
		if (usable.empty())
			return gone;
		DominatorTree DT(*B);
		/* the scalars (@scalars) region-local first (a phi's reload kept in
		 * a second variable: y = (y0's reload) + ty), then those live across
		 * barriers */
		std::vector<AllocaInst *> order;
		std::set<AllocaInst *> liveSet(live.begin(), live.end());
		for (int pass = 0; pass < 2; pass++)
			for (AllocaInst *a : scalars)
				if (liveSet.count(a) == (unsigned)pass)
					order.push_back(a);
		for (AllocaInst *P : order) {
			if (usable.count(P))
				continue;
			StoreInst *S = nullptr;
			std::vector<LoadInst *> loads;
			bool ok = true;
			for (User *U : P->users()) {
				if (auto *st = dyn_cast<StoreInst>(U))
					ok = ok && !S && (S = st);
				else
					loads.push_back(cast<LoadInst>(U));
			}
			if (!ok || !S || loads.empty())
				continue;
			unsigned budget = 16;
			std::map<Value *, bool> memo;
			Value *V = S->getValueOperand();
			if (!recomputable(V, budget, memo, &usable))
				continue;
			/* the uniform variables V reads, each read in S's block before S with no store in between */
			std::set<Value *> us;
			for (auto &[v, r] : memo)
				if (auto *ld = dyn_cast<LoadInst>(v); r && ld && isa<AllocaInst>(ld->getPointerOperand())) {
					us.insert(ld->getPointerOperand());
					ok = ok && ld->getParent() == S->getParent() && ld->comesBefore(S);
				}
			for (auto &[v, r] : memo)
				if (auto *ld = dyn_cast<LoadInst>(v); r && ok && ld && isa<AllocaInst>(ld->getPointerOperand()))
					ok = !storedBetween(ld, S, us);
			for (LoadInst *L : loads)
				ok = ok && DT.dominates(S, L) && !storedBetween(S, L, us);
			if (!ok)
				continue;
			for (LoadInst *L : loads) {
				std::map<Value *, Value *> done;
				L->replaceAllUsesWith(recompute(V, L, done));
				L->eraseFromParent();
			}
			S->eraseFromParent();
			if (liveSet.count(P))
				gone.insert(P);
		}
		return gone;
	}

	/*
	 * Whether per-thread array @a (of scalars) is only read and written an
	 * element at a time, through address arithmetic: then its element
	 * size, else 0.
	 */
	uint64_t elementwise(AllocaInst *a)
	{
		auto *at = dyn_cast<ArrayType>(a->getAllocatedType());
		Type *et = at ? at->getElementType() : nullptr;
		if (!et || !(et->isIntegerTy() || et->isFloatingPointTy() || et->isPointerTy()) || a->isArrayAllocation())
			return 0;
		const uint64_t esz = M.getDataLayout().getTypeAllocSize(et);
		std::vector<Value *> work = { a };
		while (!work.empty()) {
			Value *v = work.back();
			work.pop_back();
			for (User *U : v->users()) {
				if (auto *g = dyn_cast<GetElementPtrInst>(U); g && g->getPointerOperand() == v)
					work.push_back(g);
				else if (auto *L = dyn_cast<LoadInst>(U); L && DL().getTypeStoreSize(L->getType()) == esz &&
									  !L->isVolatile() && L->getType() == et)
					continue;
				else if (auto *S = dyn_cast<StoreInst>(U); S && S->getPointerOperand() == v && !S->isVolatile() &&
									   S->getValueOperand()->getType() == et)
					continue;
				else
					return 0;
			}
		}
		return esz;
	}
	const DataLayout &DL() const { return M.getDataLayout(); }

	/*
	 * Array @a's elements spread over the threads: element i of thread t at
	 * @base (thread t's element 0) + i * @n * size, so that the threads'
	 * copies of one element are adjacent (a vector access across the
	 * threads, not a gather). @a's element accesses are rewritten, @a goes.
	 */
	void spreadElements(AllocaInst *a, Value *base, Value *n, uint64_t esz)
	{
		std::map<Value *, Value *> off = { { a, nullptr } };	/* byte offset from a (null: 0) */
		std::vector<Value *> work = { a }, dead;
		std::vector<std::pair<Instruction *, Value *>> acc;	/* load/store, its byte offset */
		while (!work.empty()) {
			Value *v = work.back();
			work.pop_back();
			for (User *U : v->users()) {
				auto *I = cast<Instruction>(U);
				if (auto *g = dyn_cast<GetElementPtrInst>(I)) {
					IRBuilder<> gb(g);
					Value *o = emitGEPOffset(&gb, DL(), g);
					off[g] = off[v] ? gb.CreateAdd(off[v], o) : o;
					work.push_back(g);
					dead.push_back(g);
				} else {
					acc.push_back({ I, off[v] });
				}
			}
		}
		for (auto &[I, o] : acc) {
			IRBuilder<> ib(I);
			Value *p = o ? ib.CreateGEP(ib.getInt8Ty(), base, ib.CreateMul(ib.CreateSExtOrTrunc(o, n->getType()), n))
				     : base;
			/* an element is aligned to its size here, not as in the
			 * array (clang aligns arrays to 16: arr[2] said align 8) */
			if (auto *L = dyn_cast<LoadInst>(I)) {
				L->setOperand(L->getPointerOperandIndex(), p);
				L->setAlignment(commonAlignment(L->getAlign(), esz));
			} else {
				auto *S = cast<StoreInst>(I);
				S->setOperand(S->getPointerOperandIndex(), p);
				S->setAlignment(commonAlignment(S->getAlign(), esz));
			}
		}
		for (auto it = dead.rbegin(); it != dead.rend(); ++it)
			cast<Instruction>(*it)->eraseFromParent();
		a->eraseFromParent();
	}

	/* a bool's slot read and written as a byte (0 or 1): the vectoriser
	 * loads no vector of i1 from memory (its bits are not its bytes) and
	 * took a frame slot of bools a byte and a mask register per thread */
	static void boolsAsBytes(AllocaInst *a)
	{
		Type *t = a->getAllocatedType();
		if (!t->isIntegerTy(1))
			return;
		std::vector<Instruction *> users;
		for (User *u : a->users()) {
			auto *st = dyn_cast<StoreInst>(u);
			if (!isa<LoadInst>(u) && !(st && st->getPointerOperand() == a))
				return;
			users.push_back(cast<Instruction>(u));
		}
		Type *byte = Type::getInt8Ty(t->getContext());
		for (Instruction *I : users) {
			IRBuilder<> ib(I);
			if (auto *st = dyn_cast<StoreInst>(I)) {
				ib.CreateAlignedStore(ib.CreateZExt(st->getValueOperand(), byte), a, st->getAlign(), st->isVolatile());
			} else {
				auto *ld = cast<LoadInst>(I);
				Value *v = ib.CreateAlignedLoad(byte, a, ld->getAlign(), ld->isVolatile());
				ld->replaceAllUsesWith(ib.CreateTrunc(v, t));
			}
			I->eraseFromParent();
		}
	}

	/* the per-thread allocas become slots of ctx->frame; the uniform ones load ctx->uin on entry */
	void placeLiveState(Function *B, Instruction *allocaPt, const std::vector<std::pair<AllocaInst *, uint64_t>> &priv,
			    const std::vector<AllocaInst *> &uni, uint64_t stride)
	{
		const DataLayout &DL = M.getDataLayout();
		Type *i32 = Type::getInt32Ty(C), *i8 = Type::getInt8Ty(C), *ptr = PointerType::get(C, 0);
		IRBuilder<> b(allocaPt);
		Value *fr = b.CreateLoad(ptr, b.CreateStructGEP(ctxType(), B->getArg(0), CTX_FRAME), "frame");
		/* the slots' stride: a constant (every slot an offset from one
		 * address per element size: few registers), else the block's size */
		Value *n = stride ? (Value *)b.getInt64(stride) :
			b.CreateZExt(b.CreateLoad(i32, b.CreateStructGEP(ctxType(), B->getArg(0), CTX_NTHREADS)),
				     b.getInt64Ty(), "n");
		/* lin comes from an int loop variable (no wrap): sext keeps it affine */
		Value *lin = b.CreateSExt(B->getArg(4), b.getInt64Ty());
		for (auto &[a, off] : priv) {
			uint64_t sz = *a->getAllocationSizeInBits(DL) / 8;
			if (uint64_t esz = elementwise(a)) {
				Value *o = b.CreateAdd(b.CreateMul(n, b.getInt64(off), "", true, true),
						       b.CreateMul(lin, b.getInt64(esz), "", true, true), "", true, true);
				spreadElements(a, b.CreateGEP(i8, fr, o, a->getName() + ".soa"), n, esz);
				continue;
			}
			/* copies as aligned as the variable (clang aligns an int[5]
			 * to 16, and its memset and vector accesses say so), up to
			 * the frame's 16 (its slots are 16-byte multiples) */
			sz = alignTo(sz, std::min<uint64_t>(a->getAlign().value(), 16));
			Value *o = b.CreateAdd(b.CreateMul(n, b.getInt64(off), "", true, true), b.CreateMul(lin, b.getInt64(sz), "", true, true), "", true, true);
			Value *p = b.CreateGEP(i8, fr, o, a->getName() + ".priv");
			boolsAsBytes(a);
			a->replaceAllUsesWith(p);
			a->eraseFromParent();
		}
		/* a uniform value: from ctx->uin on entry (the region loop's
		 * copy of the context makes it a loop invariant) */
		for (unsigned k = 0; k < uni.size(); k++) {
			Type *t = uni[k]->getAllocatedType();
			Value *src = b.CreateConstInBoundsGEP2_32(ctxType(), B->getArg(0), 0, CTX_UIN);
			src = b.CreateConstGEP1_32(b.getInt64Ty(), src, k);
			b.CreateStore(b.CreateLoad(t, src), uni[k]);
		}
	}

	/* a uniform value of fewer than 4 bytes as 4: the driver copies the
	 * slots in 4-byte words (cuda.h's __vgpu_ctx_uniforms_in), each then
	 * forwarded from one store, where a word over a narrower store waits
	 * for it to reach the cache. Not wider: an 8-byte store in the thread
	 * loop halves the vectoriser's width */
	Value *slotWord(IRBuilder<> &b, Value *v)
	{
		Type *t = v->getType();
		/* read back at its own width from the slot's first bytes: its
		 * low bytes only where they come first */
		if (t->isIntegerTy() && t->getIntegerBitWidth() < 32 && M.getDataLayout().isLittleEndian())
			return b.CreateZExt(v, b.getInt32Ty());
		return v;
	}

	/*
	 * 5. barriers return their resume state, every return stores the
	 * uniform values to *ctx->uout (every thread stores the same value; the
	 * driver copies it to uin after a region), and the entry dispatches on
	 * the resume state to the region's start
	 */
	void wireResume(Function *B, const std::vector<Bar> &bl, const std::vector<BasicBlock *> &starts,
			const std::vector<AllocaInst *> &uni)
	{
		Type *i32 = Type::getInt32Ty(C), *ptr = PointerType::get(C, 0);
		BasicBlock *oldEntry = &B->getEntryBlock();
		for (const Bar &b : bl) {
			b.bb->getTerminator()->eraseFromParent();
			b.bb->front().eraseFromParent();	/* the call */
			ReturnInst::Create(C, ConstantInt::get(i32, b.state), b.bb);
		}
		/* the slots the uniform values go to are the lowering's own: no
		 * access of the kernel's reaches them. Said as an alias scope, so
		 * that a loop of threads that all store the same value (total =
		 * s[last]) keeps one store after it and reads s[last] once, where
		 * it stored and loaded again per thread. Only for the values read
		 * from the kernel's memory (what LICM then hoists): sinking the
		 * stores of counters alone gained nothing and left gemv_warp's and
		 * sgemm_tile's loops (the same instructions) 1.07-1.12x slower */
		std::vector<bool> loaded(uni.size(), false);
		bool anyLoaded = false;
		for (unsigned k = 0; k < uni.size(); k++)
			for (User *U : uni[k]->users())
				if (auto *st = dyn_cast<StoreInst>(U); st && st->getPointerOperand() == uni[k]) {
					Value *v = st->getValueOperand();
					if (auto *c = dyn_cast<CastInst>(v))
						v = c->getOperand(0);
					auto *ld = dyn_cast<LoadInst>(v);
					/* (not the value the region read from ctx->uin, nor an alloca's) */
					const Value *o = ld ? getUnderlyingObject(ld->getPointerOperand()) : nullptr;
					if (o && !isa<AllocaInst>(o) && !isa<Argument>(o) && !runtimeMemory(ld->getPointerOperand()))
						anyLoaded = loaded[k] = true;
				}
		MDNode *uscope = nullptr;
		if (anyLoaded) {
			MDBuilder mb(C);
			MDNode *dom = mb.createAnonymousAliasScopeDomain("vgpu.uniforms");
			uscope = MDNode::get(C, { mb.createAnonymousAliasScope(dom, "uout") });
			for (BasicBlock &BB : *B)
				for (Instruction &I : BB)
					if (I.mayReadOrWriteMemory())
						I.setMetadata(LLVMContext::MD_noalias,
							      MDNode::concatenate(I.getMetadata(LLVMContext::MD_noalias), uscope));
		}
		/* a thread that returns for good stores nothing: what it saw may be
		 * stale for the threads that go on (it returned early) */
		for (BasicBlock &BB : *B)
			if (auto *R = dyn_cast<ReturnInst>(BB.getTerminator())) {
				if (auto *st = dyn_cast_or_null<ConstantInt>(R->getReturnValue()); st && st->getZExtValue() == ST_DONE)
					continue;
				IRBuilder<> rb(R);
				Value *uout = uni.empty() ? nullptr :
					rb.CreateLoad(ptr, rb.CreateStructGEP(ctxType(), B->getArg(0), CTX_UOUT));
				for (unsigned k = 0; k < uni.size(); k++) {
					Value *dst = rb.CreateConstGEP1_32(rb.getInt64Ty(), uout, k);
					rb.CreateStore(slotWord(rb, rb.CreateLoad(uni[k]->getAllocatedType(), uni[k])), dst)
						->setMetadata(LLVMContext::MD_alias_scope, loaded[k] ? uscope : nullptr);
				}
			}
		oldEntry->getTerminator()->eraseFromParent();
		SwitchInst *sw = SwitchInst::Create(B->getArg(5), starts[0], bl.size(), oldEntry);
		for (unsigned i = 0; i < bl.size(); i++)
			sw->addCase(ConstantInt::get(cast<IntegerType>(i32), i + 1), starts[i + 1]);
	}

	/* 6. one function per region (B with the resume state fixed), in the all-threads and selected-threads loops; B goes */
	void cloneRegions(Function &K, Function *B, const std::vector<Bar> &bl, const std::vector<ParamLoad> &pl, size_t uniform,
			  std::vector<Function *> &fall, std::vector<Function *> &fsel, unsigned &narrowed, unsigned &peeled,
			  unsigned &chunked)
	{
		Function *tAll1 = get("__vgpu_tmpl_region_all"), *tAllU = get("__vgpu_tmpl_region_allu"),
			 *tSel = get("__vgpu_tmpl_region_sel");
		Function *ph = get("__vgpu_region");
		const unsigned nregions = bl.size() + 1;
		/* the threshold below was measured when each warp reduction
		 * carried the exchange's half across its sync as a uniform value
		 * (cuda.h reads its result from __vgpu_wr now): they count still,
		 * softmax_rows' two ran 1.1-1.2x slower without tAllU */
		size_t reduces = 0;
		for (const Bar &b : bl)
			reduces += (b.state & ST_REDUCE) != 0;
		for (unsigned r = 0; r < nregions; r++) {
			ValueToValueMapTy VM;
			VM[B->getArg(5)] = ConstantInt::get(Type::getInt32Ty(C), r);
			Function *R = CloneFunction(B, VM);
			R->setName(B->getName() + ".r" + Twine(r));
			ConstantFoldTerminator(&R->getEntryBlock());
			removeUnreachableBlocks(*R);
			/* its marks out first: the copies below must not see them */
			unsigned pstep = 0;
			bool pdense = false;
			Function *pf = regionPrefetch(R, pstep, pdense);
			/* the block's last thread keeps the uniform values for all
			 * (region_allu) unless it may return for good here while
			 * others go on to a barrier (then it stores none): where
			 * every thread leaves alike (one way out, or ST_UNIFORM: a
			 * loop's last region, its return chosen by the uniform
			 * count) its values stand for all. From 4 values on:
			 * measured, 4 to 7 gain (reduce_lastblock 1.27x,
			 * softmax_rows 1.18x, layernorm_cg 1.07x faster), where with 2
			 * or 3 the same hot loop ran slower (histogram_smem 1.35x,
			 * radix_digits 1.1x; then black_scholes 1.2x, backprop_layer
			 * 1.1x: the thread split off leaves the row's vector loop a
			 * scalar tail). With fewer, only where that thread runs
			 * apart anyway (below: `apart`) or a copy of the region
			 * computes them after the row (`uni`) */
			std::set<uint64_t> exits;	/* ST_MIXED: one not known here */
			for (BasicBlock &BB : *R)
				if (auto *ret = dyn_cast<ReturnInst>(BB.getTerminator())) {
					auto *st = dyn_cast<ConstantInt>(ret->getReturnValue());
					exits.insert(st ? st->getZExtValue() : ST_MIXED);
				}
			/* (every thread leaving alike, chosen by uniform branches:
			 * the end for all or a barrier for all, as a uniform loop's
			 * last iteration, is not leaving early) */
			const bool uexit = exits.size() > 1 && !exits.count(ST_MIXED) && uniformExit(R);
			const bool leavesEarly = exits.count(ST_MIXED) || (exits.count(ST_DONE) && exits.size() > 1 && !uexit);
			/* one way out for every thread (a barrier, or the end): its
			 * state for the driver, no state a thread to store and compare */
			const uint64_t one = exits.size() == 1 ? *exits.begin() : uexit ? ST_UNIFORM : ST_MIXED;
			/* the leading threads only, when that is all that works here
			 * (the others' states are the last one's: not when mixed) */
			unsigned lstep = 0;
			Function *lim = one != ST_MIXED ? regionLimit(R, lstep) : nullptr;
			/* or the threads at a row's or tile's edges apart */
			uint32_t edge[4] = { 0, 0xffffffffu, 0, 0xffffffffu };
			Function *main = lim ? nullptr : regionMain(R, edge);
			/* or 32 threads at a time, for their padded indices */
			unsigned cwidth = 32;
			bool cloop = false;
			Function *chunk = main ? nullptr : regionChunk(R, cwidth, cloop);
			std::map<Function *, Function *> repl = { { ph, R }, { get("__vgpu_region_main"), main ? main : R },
								   { get("__vgpu_region_chunk"), chunk ? chunk : R } };
			repl[get("__vgpu_region_prefetch")] = pf ? pf : R;
			if (lim) {
				repl[get("__vgpu_region_limit")] = lim;
				narrowed++;
			}
			peeled += main != nullptr;
			chunked += chunk != nullptr;
			/* the block's last thread runs apart anyway (narrowed, or the
			 * right edge of a peeled row): keeping the uniforms costs nothing */
			const bool apart = lim || (main && edge[1] != 0xffffffffu);
			/* the block's last thread in the row's vector loop, a copy
			 * for the uniform values after, wherever the region allows
			 * one: with 1 to 3 values too (the threshold above was
			 * measured before such copies, against a scalar tail), as
			 * region_all stored a loop's counters in every vector of
			 * threads beside its work (one worker, alternated: jacobi3d
			 * 3-10 %, sobel_uchar4 and conv2d_const ~8 % faster; the
			 * others within the noise) */
			Function *uni = uniform && !leavesEarly && !apart && !main && !chunk ? regionUni(R) : nullptr;
			Function *tAll = uniform && !leavesEarly && (uniform + reduces >= 4 || apart || uni) ? tAllU : tAll1;
			repl[get("__vgpu_region_uni")] = uni ? uni : R;
			Function *A = instantiate(tAll, K.getName() + ".all" + Twine(r), repl,
						  GlobalValue::InternalLinkage, &pl);
			setConstCalls(A, "__vgpu_region_exit", one);
			setConstCalls(A, "__vgpu_region_limit", 0xffffffffu);
			setConstCalls(A, "__vgpu_region_step", lim ? lstep : 0);
			setConstCalls(A, "__vgpu_peel", main != nullptr);
			setConstCalls(A, "__vgpu_chunked", chunk ? cwidth : 0);
			setConstCalls(A, "__vgpu_chunk_loop", chunk && cloop);
			setConstCalls(A, "__vgpu_uni", uni != nullptr);
			setConstCalls(A, "__vgpu_peel_x0", edge[0]);
			setConstCalls(A, "__vgpu_peel_xk", edge[1]);
			setConstCalls(A, "__vgpu_peel_y0", edge[2]);
			setConstCalls(A, "__vgpu_peel_yk", edge[3]);
			setConstCalls(A, "__vgpu_prefetch_step", pstep);
			setConstCalls(A, "__vgpu_prefetch_dense", pdense);
			setConstCalls(A, "__vgpu_nuniform", uniform);
			fall.push_back(A);
			Function *S = instantiate(tSel, K.getName() + ".sel" + Twine(r),
						  { { ph, R }, { get("__vgpu_region_prefetch"), pf ? pf : R } },
						  GlobalValue::InternalLinkage, &pl);
			setConstCalls(S, "__vgpu_nuniform", uniform);
			setConstCalls(S, "__vgpu_prefetch_step", pstep);
			setConstCalls(S, "__vgpu_uniform_last", !leavesEarly);
			/* whole warps at once only after a warp sync (a warp's branch
			 * of shuffles): a third copy of every region's body made
			 * the compile 1.5x longer */
			setConstCalls(S, "__vgpu_whole_warps", r > 0 && bl[r - 1].warp);
			fsel.push_back(S);
		}
		B->eraseFromParent();
	}

	/* a copy of region @R in SSA form (its values are in allocas there),
	 * named with @suffix; analysed, changed, then kept or dropCopy'd */
	Function *ssaCopy(Function *R, const Twine &suffix)
	{
		ValueToValueMapTy VM;
		Function *F = CloneFunction(R, VM);
		F->setName(R->getName() + suffix);
		F->setLinkage(GlobalValue::InternalLinkage);
		FunctionPassManager FPM;
		FPM.addPass(SROAPass(SROAOptions::PreserveCFG));
		FPM.run(*F, MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager());
		return F;
	}
	Function *dropCopy(Function *F)
	{
		MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager().clear(*F, F->getName());
		F->eraseFromParent();
		return nullptr;
	}

	/*
	 * A copy of region @R that computes only the uniform values it stores
	 * to ctx->uout and its way out, or null where those may depend on more
	 * than the uniform values read from the context, the kernel's
	 * parameters and constants (the thread's index, its slots, other
	 * memory, a call): with every other store gone and what fed only those
	 * deleted, nothing else may be left. The driver (region_allu) then runs
	 * the block's last thread in the row's vector loop with the others and
	 * this copy once after it, for the values all threads have alike: the
	 * thread split off had left the vector loop a tail (255 threads of a
	 * 256-thread block: 3 x 64, 7 x 8 and 7 scalar trips, then the last).
	 */
	Function *regionUni(Function *R)
	{
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		Function *U = ssaCopy(R, ".uni");
		const DataLayout &DL = M.getDataLayout();
		const uint64_t uoutOff = DL.getStructLayout(ctxType())->getElementOffset(CTX_UOUT);
		const uint64_t argsOff = DL.getStructLayout(ctxType())->getElementOffset(CTX_ARGS);
		auto ctxField = [&](const Value *v, uint64_t want) {
			auto *ld = dyn_cast<LoadInst>(v);
			APInt off;
			return ld && ctxLoad(ld, off) && off == want;
		};
		std::vector<Instruction *> dead;
		for (Instruction &I : instructions(*U)) {
			if (auto *st = dyn_cast<StoreInst>(&I)) {
				if (!st->isSimple())
					return dropCopy(U);
				if (!ctxField(getUnderlyingObject(st->getPointerOperand()), uoutOff))
					dead.push_back(st);
			} else if (auto *cb = dyn_cast<CallBase>(&I)) {
				if (!isa<DbgInfoIntrinsic>(cb) && !cb->isLifetimeStartOrEnd() &&
				    (cb->mayWriteToMemory() || cb->mayHaveSideEffects()))
					return dropCopy(U);
			} else if (I.mayWriteToMemory() || (I.mayHaveSideEffects() && !isa<LoadInst>(I))) {
				return dropCopy(U);
			}
		}
		for (Instruction *I : dead)
			I->eraseFromParent();
		tidyCut(*U, FAM, true);
		/* what is left: loads from the context (its uniform values, its
		 * pointers) and of the parameters (ctx->args[i], then the value) */
		for (Instruction &I : instructions(*U)) {
			for (Value *op : I.operands())
				if (auto *A = dyn_cast<Argument>(op); A && A->getArgNo() >= 1 && A->getArgNo() <= 4)
					return dropCopy(U);
			if (auto *ld = dyn_cast<LoadInst>(&I)) {
				APInt off;
				const Value *o = getUnderlyingObject(ld->getPointerOperand());
				auto *gv = dyn_cast<GlobalVariable>(o);
				const Value *o2 = isa<LoadInst>(o) ? getUnderlyingObject(cast<LoadInst>(o)->getPointerOperand()) : nullptr;
				if (!ld->isSimple() ||
				    !(ctxLoad(ld, off) || (gv && gv->isConstant()) || ctxField(o, argsOff) ||
				      (o2 && ctxField(o2, argsOff))))
					return dropCopy(U);
				/* the context's pointers themselves (frame, shared memory) read nothing per thread here;
				 * a load through them is not one of the above */
			} else if (auto *cb = dyn_cast<CallBase>(&I)) {
				if (!isa<DbgInfoIntrinsic>(cb) && !cb->isLifetimeStartOrEnd() &&
				    !(isa<IntrinsicInst>(cb) && !cb->mayReadOrWriteMemory()))
					return dropCopy(U);
			} else if (isa<StoreInst>(&I)) {
				if (!ctxField(getUnderlyingObject(cast<StoreInst>(&I)->getPointerOperand()), uoutOff))
					return dropCopy(U);
			} else if (isa<AllocaInst>(&I) || I.mayReadOrWriteMemory()) {
				return dropCopy(U);
			}
		}
		return U;
	}

	/* @v without a zero or sign extension */
	static Value *stripExt(Value *v)
	{
		return isa<ZExtInst>(v) || isa<SExtInst>(v) ? cast<CastInst>(v)->getOperand(0) : v;
	}

	/* whether @t is x + blockDim.x * y (either way round, each), a 2-D
	 * block's linear index written out, x and y as @isX and @isY find
	 * them (@extMul: the product also under a zero or sign extension) */
	template <class FX, class FY> bool linear2d(Value *t, FX isX, FY isY, bool extMul)
	{
		using namespace PatternMatch;
		auto bdimx = [&](Value *v) {
			APInt off;
			auto *ld = dyn_cast<LoadInst>(v);
			return ld && ctxLoad(ld, off) && off == CTX_BDIM_OFF;
		};
		Value *a, *b, *m, *n;
		if (!match(t, m_Add(m_Value(a), m_Value(b))))
			return false;
		for (int k = 0; k < 2; k++, std::swap(a, b))
			if (isX(a) && match(extMul ? stripExt(b) : b, m_Mul(m_Value(m), m_Value(n))) &&
			    ((bdimx(m) && isY(n)) || (bdimx(n) && isY(m))))
				return true;
		return false;
	}

	/*
	 * Thread-range narrowing. A region whose work is under `if (tid < d)`
	 * (d the same in every thread: tree reductions, scans) or `if (tid ==
	 * 0)` has work for a row's leading threads only; the others go through
	 * code that touches nothing but the region's own variables and the
	 * uniform values. Returned: a copy of @R that runs that path as a
	 * thread past every such test would, and returns the largest bound met
	 * on it (the drivers run the threads below it, then the block's last
	 * thread, whose uniform values and way out the others' equal), or
	 * 0xffffffff (all threads) where the path reaches code that could do
	 * more: write memory other than its own variables, call what may,
	 * branch on the thread's index or on memory a thread may write. Null
	 * when no path has such a test.
	 * Also a test that names a warp's (a tile's) first lane, `(t & M) == 0`
	 * with M + 1 a power of two and t the thread's x or linear index (`lane
	 * == 0`, `tile.thread_rank() == 0`, `tid % 32 == 0`): the work is for
	 * the threads whose t is a multiple of M + 1, the bound met on the path
	 * nothing; @step is the smallest such M + 1 (0: no such test), and the
	 * drivers run those threads too, stepping by it (rows whose length it
	 * divides, so that x and the linear index step alike).
	 * Either test may be one of a conjunction the work needs (`t < d &&
	 * in[t] > 0`), or the branch may skip on its negation (`if (!first ||
	 * !low) ; else ...`, what predicateWarpBranches leaves of `if (warp ==
	 * 0) { ...; if (lane == 0) ... }`): a thread past the test fails the
	 * conjunction too.
	 */
	Function *regionLimit(Function *R, unsigned &step)
	{
		using namespace PatternMatch;
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		Function *L = ssaCopy(R, ".lim");
		auto drop = [&]() { return dropCopy(L); };
		const uint64_t uoutOff = M.getDataLayout().getStructLayout(ctxType())->getElementOffset(CTX_UOUT);
		/* a store of the uniform values (the last thread's count) */
		auto uoutStore = [&](const Instruction *I) {
			auto *st = dyn_cast<StoreInst>(I);
			auto *ul = st ? dyn_cast<LoadInst>(getUnderlyingObject(st->getPointerOperand())) : nullptr;
			APInt off;
			return ul && ctxLoad(ul, off) && off == uoutOff;
		};
		/* what a thread past the tests must not do */
		auto effect = [&](const Instruction &I) {
			if (auto *st = dyn_cast<StoreInst>(&I))
				return !st->isSimple() ||
				       !(isa<AllocaInst>(getUnderlyingObject(st->getPointerOperand())) || uoutStore(st));
			if (auto *cb = dyn_cast<CallBase>(&I))
				return !isa<DbgInfoIntrinsic>(cb) && !cb->isLifetimeStartOrEnd() &&
				       (cb->mayWriteToMemory() || cb->mayHaveSideEffects());
			return I.mayWriteToMemory() || I.mayHaveSideEffects();
		};
		/* values that may differ between threads, or between this copy run
		 * first and a thread run later: from the index, memory other
		 * than the context, constants and the region's own variables */
		std::set<const Value *> varies;
		for (unsigned k = 1; k <= 4; k++)
			varies.insert(L->getArg(k));
		for (bool changed = true; changed;) {
			changed = false;
			for (Instruction &I : instructions(*L)) {
				if (varies.count(&I) || I.getType()->isVoidTy())
					continue;
				bool v = false;
				if (auto *ld = dyn_cast<LoadInst>(&I)) {
					APInt off;
					const Value *o = getUnderlyingObject(ld->getPointerOperand());
					auto *gv = dyn_cast<GlobalVariable>(o);
					v = !ld->isSimple() || !(ctxLoad(ld, off) || (gv && gv->isConstant()));
				} else if (auto *cb = dyn_cast<CallBase>(&I)) {
					v = cb->mayReadOrWriteMemory();
				}
				for (Value *op : I.operands())
					v = v || varies.count(op);
				if (v) {
					varies.insert(&I);
					changed = true;
				}
			}
		}
		Argument *X = L->getArg(1);
		Type *i64 = Type::getInt64Ty(C);
		AllocaInst *acc = new AllocaInst(i64, 0, "lim", &*L->getEntryBlock().getFirstInsertionPt());
		new StoreInst(ConstantInt::get(i64, 0), acc, acc->getNextNode());
		const uint64_t cap = 0xffffffffull;
		unsigned tests = 0;
		std::vector<BasicBlock *> bad;
		std::vector<BasicBlock *> blocks;
		for (BasicBlock &BB : *L)
			blocks.push_back(&BB);
		for (BasicBlock *BB : blocks) {
			Instruction *T = BB->getTerminator();
			bool isBad = false;
			for (Instruction &I : *BB)
				isBad = isBad || effect(I);
			auto *br = dyn_cast<BranchInst>(T);
			auto *ic = br && br->isConditional() ? dyn_cast<ICmpInst>(br->getCondition()) : nullptr;
			Value *a = ic ? ic->getOperand(0) : nullptr, *D = ic ? ic->getOperand(1) : nullptr;
			/* x, or the linear index (block.thread_rank(), or x +
			 * blockDim.x * y written out): x <= lin, so the threads
			 * whose lin is below a bound have x below it too, and the
			 * rows' leading threads cover them */
			auto isX = [&](Value *v) {
				v = stripExt(v);
				return v == X || v == L->getArg(4) ||
				       linear2d(v, [&](Value *a) { return stripExt(a) == X; },
						[&](Value *y) { return stripExt(y) == L->getArg(2); }, true);
			};
			CmpInst::Predicate p = ic ? ic->getPredicate() : CmpInst::BAD_ICMP_PREDICATE;
			/* `(t & M) == 0`, M + 1 a power of two, t x or the linear index */
			auto stepTest = [&](Value *a, Value *D, const APInt *&M) {
				Value *t = nullptr;
				return match(D, m_Zero()) && match(a, m_And(m_Value(t), m_APInt(M))) && M->getBitWidth() <= 64 &&
				       M->getZExtValue() > 0 && M->getZExtValue() < 1024 &&
				       isPowerOf2_64(M->getZExtValue() + 1) && (stripExt(t) == X || stripExt(t) == L->getArg(4));
			};
			/* a branch on a conjunction of tests whose work is where they
			 * all hold, or on its negation (`warp == 0 && lane == 0`, as a
			 * predicated warp branch leaves it: skipped where either
			 * fails): one of them stands for the branch, a bound before a
			 * warp's first lanes, oriented so that the work is where it
			 * holds (@conjW: the work's successor) */
			int conjW = -1;
			const APInt *M = nullptr;
			if (br && br->isConditional() && !ic && !isBad && br->getSuccessor(0) != br->getSuccessor(1))
				for (int w = 0; w < 2 && conjW < 0; w++) {
					SmallVector<std::pair<Value *, bool>, 8> todo = { { br->getCondition(), w == 1 } };
					ICmpInst *bound = nullptr, *lane = nullptr;
					CmpInst::Predicate bp = CmpInst::BAD_ICMP_PREDICATE;
					bool bswap = false;
					for (unsigned n = 0; !todo.empty() && n < 16; n++) {
						auto [v, neg] = todo.pop_back_val();
						Value *x, *y;
						if (match(v, m_Not(m_Value(x)))) {
							todo.push_back({ x, !neg });
						} else if ((!neg && match(v, m_LogicalAnd(m_Value(x), m_Value(y)))) ||
							   (neg && match(v, m_LogicalOr(m_Value(x), m_Value(y))))) {
							todo.push_back({ x, neg });
							todo.push_back({ y, neg });
						} else if (auto *c = dyn_cast<ICmpInst>(v)) {
							const CmpInst::Predicate cp = neg ? c->getInversePredicate() : c->getPredicate();
							Value *ca = c->getOperand(0), *cd = c->getOperand(1);
							const bool sw = !isX(ca) && isX(cd);
							const CmpInst::Predicate sp = sw ? CmpInst::getSwappedPredicate(cp) : cp;
							const APInt *cm = nullptr;
							if (isX(sw ? cd : ca) && !varies.count(sw ? ca : cd) &&
							    (sp == CmpInst::ICMP_ULT || sp == CmpInst::ICMP_SLT || sp == CmpInst::ICMP_ULE ||
							     sp == CmpInst::ICMP_SLE || sp == CmpInst::ICMP_EQ) && !bound) {
								bound = c;
								bp = sp;
								bswap = sw;
							} else if (cp == CmpInst::ICMP_EQ && stepTest(ca, cd, cm) && !lane) {
								lane = c;
								M = cm;
							}
						}
					}
					if (bound) {
						ic = bound;
						a = bswap ? bound->getOperand(1) : bound->getOperand(0);
						D = bswap ? bound->getOperand(0) : bound->getOperand(1);
						p = bp;
						conjW = w;
						M = nullptr;
					} else if (lane) {
						ic = lane;
						a = lane->getOperand(0);
						D = lane->getOperand(1);
						p = CmpInst::ICMP_EQ;
						conjW = w;
					}
				}
			/* (t & M) == 0 or != 0: a warp's or tile's first lanes (a
			 * conjunction's: its lane test chosen above, M set) */
			const bool laneTest = conjW >= 0 ? M != nullptr : ic && stepTest(a, D, M);
			if (!isBad && ic && ic->isEquality() && laneTest && br->getSuccessor(0) != br->getSuccessor(1)) {
				const bool eq = p == CmpInst::ICMP_EQ;
				const int wi = conjW >= 0 ? conjW : eq ? 0 : 1;
				BasicBlock *W = br->getSuccessor(wi), *S = br->getSuccessor(1 - wi);
				const unsigned st = (unsigned)M->getZExtValue() + 1;
				step = step && step < st ? step : st;
				W->removePredecessor(BB);
				BranchInst::Create(S, br);
				br->eraseFromParent();
				tests++;
				continue;
			}
			if (ic && conjW < 0 && !isX(a) && isX(D)) {
				std::swap(a, D);
				p = CmpInst::getSwappedPredicate(p);
			}
			/* x p D: which side holds the leading threads (the work),
			 * and the bound: x < D, x <= D (D + 1), x == D (D + 1) */
			bool test = ic && isX(a) && !varies.count(D), work = true, plusOne = false;
			switch (p) {
			case CmpInst::ICMP_ULT: case CmpInst::ICMP_SLT: break;
			case CmpInst::ICMP_ULE: case CmpInst::ICMP_SLE: case CmpInst::ICMP_EQ: plusOne = true; break;
			case CmpInst::ICMP_UGE: case CmpInst::ICMP_SGE: work = false; break;
			case CmpInst::ICMP_UGT: case CmpInst::ICMP_SGT: case CmpInst::ICMP_NE: work = false; plusOne = true; break;
			default: test = false;
			}
			const int wi = conjW >= 0 ? conjW : work ? 0 : 1;
			test = test && (conjW < 0 || work);
			BasicBlock *W = test ? br->getSuccessor(wi) : nullptr, *S = test ? br->getSuccessor(1 - wi) : nullptr;
			test = test && W != S;
			if (!isBad && test) {
				const bool sgn = CmpInst::isSigned(p);
				IRBuilder<> b(br);
				Value *d = sgn ? b.CreateSExtOrTrunc(D, i64) : b.CreateZExtOrTrunc(D, i64);
				/* within [-1, 2^32] (signed) or [0, 2^32]: + 1 cannot wrap */
				d = sgn ? b.CreateBinaryIntrinsic(Intrinsic::smin,
								  b.CreateBinaryIntrinsic(Intrinsic::smax, d, b.getInt64(-1)),
								  b.getInt64(cap + 1))
					: b.CreateBinaryIntrinsic(Intrinsic::umin, d, b.getInt64(cap + 1));
				if (plusOne)
					d = b.CreateAdd(d, b.getInt64(1));
				if (sgn)
					d = b.CreateBinaryIntrinsic(Intrinsic::smax, d, b.getInt64(0));
				b.CreateStore(b.CreateBinaryIntrinsic(Intrinsic::umax, b.CreateLoad(i64, acc), d), acc);
				W->removePredecessor(BB);
				b.CreateBr(S);
				br->eraseFromParent();
				tests++;
				continue;
			}
			if (auto *ret = dyn_cast<ReturnInst>(T))
				ret->setOperand(0, UndefValue::get(ret->getReturnValue()->getType()));	/* the bound, below */
			else if (T->getNumSuccessors() > 1)
				isBad = isBad || !isa<BranchInst>(T) || varies.count(br->getCondition());
			if (isBad)
				bad.push_back(BB);
		}
		if (!tests)
			return drop();
		/* a path that may do more: all threads run */
		for (BasicBlock *BB : bad) {
			for (BasicBlock *succ : successors(BB))
				succ->removePredecessor(BB);
			while (!BB->empty()) {
				Instruction &I = BB->back();
				I.replaceAllUsesWith(PoisonValue::get(I.getType()));
				I.eraseFromParent();
			}
			ReturnInst::Create(C, ConstantInt::get(Type::getInt32Ty(C), cap), BB);
		}
		removeUnreachableBlocks(*L);
		std::vector<Instruction *> dead;
		for (BasicBlock &BB : *L) {
			for (Instruction &I : BB)
				if (uoutStore(&I))
					dead.push_back(&I);
			if (auto *ret = dyn_cast<ReturnInst>(BB.getTerminator()); ret && isa<UndefValue>(ret->getReturnValue())) {
				IRBuilder<> b(ret);
				Value *v = b.CreateBinaryIntrinsic(Intrinsic::umin, b.CreateLoad(i64, acc), b.getInt64(cap));
				ret->setOperand(0, b.CreateTrunc(v, ret->getReturnValue()->getType()));
			}
		}
		for (Instruction *I : dead)
			I->eraseFromParent();
		tidyCut(*L, FAM, false);	/* its blocks changed */
		/* what is left: the tests' bounds on paths every thread takes alike */
		bool some = false;
		for (Instruction &I : instructions(*L)) {
			for (Value *op : I.operands())
				if (auto *A = dyn_cast<Argument>(op); A && A->getArgNo() >= 1 && A->getArgNo() <= 4)
					return drop();
			if (effect(I))
				return drop();
			if (auto *ret = dyn_cast<ReturnInst>(&I)) {
				auto *c = dyn_cast<ConstantInt>(ret->getReturnValue());
				some = some || !c || c->getZExtValue() != cap;
			}
		}
		return some ? L : drop();
	}

	/*
	 * Edge peeling. A halo tile's loads sit under tests of the thread's
	 * index against constants (`if (tx == 0)`, `if (ty == BY - 1)`): in the
	 * vectorised thread loop each is a masked scatter for every vector of
	 * threads, and the loop is vectorised narrower for them. Returned: a
	 * copy of @R in which each such test has the value it has for a
	 * thread that no test names (x == K false, a switch on x its
	 * default), for those threads; the drivers run the others (the first
	 * and last of a row, whole rows named by y) through @R itself. Only a
	 * dimension whose tests name 0 and one other value (both ends) is
	 * peeled. @p: per dimension (x, y), whether it is, and that value
	 * (0xffffffff: not). Null when no dimension is.
	 */
	Function *regionMain(Function *R, uint32_t p[4])
	{
		Function *N = ssaCopy(R, ".main");
		/* x == K, x != K (in a branch, or merged into another
		 * condition), a switch on x (SimplifyCFG's for x == 0 next to
		 * another test) */
		std::vector<std::pair<Instruction *, unsigned>> tests;
		std::set<uint64_t> vals[2];
		auto dimOf = [&](Value *a) -> int {
			auto *A = dyn_cast<Argument>(stripExt(a));
			return A && A->getParent() == N && (A->getArgNo() == 1 || A->getArgNo() == 2) ? A->getArgNo() - 1 : -1;
		};
		auto small = [](const ConstantInt *k) { return k && k->getValue().getActiveBits() <= 10; };
		for (Instruction &I : instructions(*N)) {
			if (auto *sw = dyn_cast<SwitchInst>(&I)) {
				const int d = dimOf(sw->getCondition());
				bool ok = d >= 0;
				for (auto &cs : sw->cases())
					ok = ok && small(cs.getCaseValue());
				if (!ok)
					continue;
				for (auto &cs : sw->cases())
					vals[d].insert(cs.getCaseValue()->getZExtValue());
				tests.push_back({ sw, d });
				continue;
			}
			auto *ic = dyn_cast<ICmpInst>(&I);
			const int d = ic && ic->isEquality() ? dimOf(ic->getOperand(0)) : -1;
			auto *k = d >= 0 ? dyn_cast<ConstantInt>(ic->getOperand(1)) : nullptr;
			if (!small(k))
				continue;
			tests.push_back({ ic, d });
			vals[d].insert(k->getZExtValue());
		}
		/* both ends of a dimension (a halo), 0 and one other value: a
		 * single end (`if (threadIdx.x == 0)` in a 1-D block) left a
		 * scalar tail to the vector loop and cost more than it saved */
		bool peel[2];
		for (unsigned d = 0; d < 2; d++) {
			peel[d] = vals[d].size() == 2 && vals[d].count(0);
			p[2 * d] = peel[d];
			p[2 * d + 1] = peel[d] ? *vals[d].rbegin() : 0xffffffffu;
		}
		unsigned done = 0;
		for (auto &t : tests) {
			if (!peel[t.second])
				continue;
			/* what it is for a thread no test names */
			if (auto *sw = dyn_cast<SwitchInst>(t.first)) {
				/* a value no case names: its default (folded below) */
				sw->setCondition(ConstantInt::get(sw->getCondition()->getType(), 1024));
			} else {
				auto *ic = cast<ICmpInst>(t.first);
				ic->replaceAllUsesWith(ConstantInt::getBool(C, ic->getPredicate() == CmpInst::ICMP_NE));
				ic->eraseFromParent();
			}
			done++;
		}
		if (!done)
			return dropCopy(N);
		for (BasicBlock &BB : *N)
			ConstantFoldTerminator(&BB);
		removeUnreachableBlocks(*N);
		MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager().clear(*N, N->getName());
		return N;
	}

	/* a cast, or arithmetic that keeps a value's steps with the thread
	 * (add, sub, mul, shl, or; not a right shift or a division) */
	static bool stepsWithX(const Instruction *I)
	{
		return isa<CastInst>(I) || I->getOpcode() == Instruction::Add || I->getOpcode() == Instruction::Sub ||
		       I->getOpcode() == Instruction::Mul || I->getOpcode() == Instruction::Shl ||
		       I->getOpcode() == Instruction::Or;
	}

	/* whether @v is the thread's index @X, or arithmetic on it and
	 * constants (not through a shift or division: x + C, 2 * x + 1) */
	static bool onX(Value *v, Argument *X, unsigned depth = 4)
	{
		if (v == X)
			return true;
		if (isa<Constant>(v))
			return false;
		auto *I = dyn_cast<Instruction>(v);
		if (!I || !depth || !stepsWithX(I))
			return false;
		for (Value *op : I->operands())
			if (onX(op, X, depth - 1))
				return true;
		return false;
	}
	/* whether shift @S is added to the thread's index itself, as a padded
	 * index x + (x >> 5) (an index made of the shift alone, a warp's
	 * slot, stays: the same address for 32 threads, a store there under
	 * a lane's test was scalar code, warp_scan 5 % slower) */
	static bool padded(Instruction *S, Argument *X, unsigned depth = 4)
	{
		for (User *U : S->users()) {
			auto *I = dyn_cast<Instruction>(U);
			if (!I || !depth)
				continue;
			if (I->getOpcode() == Instruction::Add || I->getOpcode() == Instruction::Sub ||
			    I->getOpcode() == Instruction::Or)
				for (Value *op : I->operands())
					if (op != S && onX(op, X))
						return true;
			if (stepsWithX(I) && padded(I, X, depth - 1))
				return true;
		}
		return false;
	}

	/* @v as the thread's index @X times 2^k (X, its zero or sign
	 * extension, shl by k or mul by 2^k of such): k, or -1 */
	static int scaledX(Value *v, Argument *X, unsigned depth = 4)
	{
		if (v == X)
			return 0;
		auto *I = dyn_cast<Instruction>(v);
		if (!I || !depth)
			return -1;
		if (isa<ZExtInst>(I) || isa<SExtInst>(I))
			return scaledX(I->getOperand(0), X, depth - 1);
		auto *k = dyn_cast<ConstantInt>(I->getOperand(I->getNumOperands() - 1));
		if (!k || k->getValue().getActiveBits() > 21)
			return -1;
		int in = scaledX(I->getOperand(0), X, depth - 1), e = -1;
		if (I->getOpcode() == Instruction::Shl)
			e = (int)k->getZExtValue();
		else if (I->getOpcode() == Instruction::Mul && k->getValue().isPowerOf2())
			e = (int)k->getValue().logBase2();
		return in < 0 || e < 0 || in + e > 20 ? -1 : in + e;
	}

	/*
	 * Padded indices. `s[i + (i >> 5)]` (shared arrays padded against bank
	 * conflicts, i = threadIdx.x + C) is a scatter or a gather for every
	 * vector of threads: the vectoriser sees i >> 5 as no function of the
	 * thread it can step. For 32 threads xo .. xo + 31 (xo a multiple of
	 * 32) and C a multiple of 32, (x + C) >> s with s >= 5 is (xo + C) >> s,
	 * the same for all of them, exactly (logical or arithmetic shift, or an
	 * unsigned division by such a power of two: the 32 values x + C stay
	 * in one aligned group of 32 and never wrap). The same holds for
	 * (2^k * x + C) >> s over W = 2^(t - k) threads from a multiple of W,
	 * t = min(s, 5 + k) > k, where C mod 2^t < 2^k: their values 2^k * x + C
	 * stay in one aligned group of 2^t (a Blelloch scan's level with
	 * offset o: indices 2o * x + o - 1 and 2o * x + 2o - 1, W = 16 / o;
	 * (2x + 1) >> 5 folded to x >> 4: k = 0, W = 16). The thread's index
	 * is below 1024, 2^k * x below 2^30 (k <= 20): nothing wraps. Returned:
	 * a copy of @R with those shifts on xo, read from the context, where
	 * the drivers set it before each W threads of a row (__VGPU_CHUNKS;
	 * @width: W, the smallest of the shifts', at least 16: groups of 8 or 4
	 * threads cost more in chunk steps than they gained); null when @R has
	 * none. @strided: whether an access of the copy steps 2^k threads apart,
	 * k >= 1 (then the drivers keep the chunk's W threads a loop for the
	 * vectoriser's interleaved groups, cuda.h __VGPU_CHUNK_LOOP).
	 */
	Function *regionChunk(Function *R, unsigned &width, bool &strided)
	{
		Function *N = ssaCopy(R, ".chunk");
		Argument *X = N->getArg(1);
		struct Shift {
			Instruction *I;
			Value *a;	/* 2^k * x, k, C */
			int k;
			APInt cv;
		};
		std::vector<Shift> found;
		width = 32;
		for (Instruction &I : instructions(*N)) {
			if (I.getOpcode() != Instruction::LShr && I.getOpcode() != Instruction::AShr &&
			    I.getOpcode() != Instruction::UDiv)
				continue;
			auto *k = dyn_cast<ConstantInt>(I.getOperand(1));
			if (!k)
				continue;
			const APInt &kv = k->getValue();
			const bool shift = I.getOpcode() != Instruction::UDiv;
			if (shift ? kv.uge(kv.getBitWidth()) : !kv.isPowerOf2())
				continue;
			const unsigned s = shift ? (unsigned)kv.getZExtValue() : kv.logBase2();
			/* 2^k * x + C, - C or | C (C below 2^k: the or an add) */
			Value *e = I.getOperand(0), *a = e;
			APInt cv(e->getType()->getIntegerBitWidth(), 0);
			bool orC = false;
			if (auto *add = dyn_cast<BinaryOperator>(e);
			    add && (add->getOpcode() == Instruction::Add || add->getOpcode() == Instruction::Sub ||
				    add->getOpcode() == Instruction::Or))
				if (auto *ck = dyn_cast<ConstantInt>(add->getOperand(1))) {
					a = add->getOperand(0);
					cv = add->getOpcode() == Instruction::Sub ? -ck->getValue() : ck->getValue();
					orC = add->getOpcode() == Instruction::Or;
				}
			const int kx = scaledX(a, X);
			if (kx < 0 || (unsigned)kx >= s || (orC && cv.getActiveBits() > (unsigned)kx))
				continue;
			const unsigned t = std::min<unsigned>(s, 5 + kx);
			if (t - kx < 2 || cv.zextOrTrunc(64).getZExtValue() % (1ull << t) >= (1ull << kx) ||
			    !padded(&I, X))
				continue;
			found.push_back({ &I, a, kx, cv });
			width = std::min(width, 1u << (t - kx));
		}
		if (found.empty() || width < 16)
			return dropCopy(N);
		IRBuilder<> e0(&*N->getEntryBlock().getFirstInsertionPt());
		Value *xo = e0.CreateLoad(e0.getInt32Ty(), e0.CreateConstGEP1_64(e0.getInt8Ty(), N->getArg(0), CTX_XO_OFF), "xo");
		for (Shift &f : found) {
			IRBuilder<> b(f.I);
			Type *ty = f.I->getType();
			/* xo in the shift's type (below 1024: either extension) */
			Value *base = b.CreateZExtOrTrunc(xo, ty);
			if (f.k)
				base = b.CreateShl(base, f.k);
			Value *v = b.CreateBinOp((Instruction::BinaryOps)f.I->getOpcode(), b.CreateAdd(base, ConstantInt::get(C, f.cv)),
						 f.I->getOperand(1));
			f.I->replaceAllUsesWith(v);
			f.I->eraseFromParent();
		}
		/* an access at 2^k * x + ..., k >= 1 */
		strided = false;
		for (Instruction &I : instructions(*N)) {
			auto *gep = dyn_cast_or_null<GetElementPtrInst>(getLoadStorePointerOperand(&I));
			for (unsigned i = 1; gep && !strided && i < gep->getNumOperands(); i++) {
				SmallVector<std::pair<Value *, unsigned>, 8> terms = { { gep->getOperand(i), 4u } };
				while (!terms.empty() && !strided) {
					auto [v, d] = terms.pop_back_val();
					v = stripExt(v);
					auto *bo = dyn_cast<BinaryOperator>(v);
					if (d && bo && (bo->getOpcode() == Instruction::Add || bo->getOpcode() == Instruction::Sub)) {
						terms.push_back({ bo->getOperand(0), d - 1 });
						terms.push_back({ bo->getOperand(1), d - 1 });
					} else
						strided = scaledX(v, X) >= 1;
				}
			}
		}
		/* its stores marked: the drivers' loop over W threads at a time
		 * is no stream to split (VgpuThreadLoopPass::splitStreams) */
		for (Instruction &I : instructions(*N))
			if (isa<StoreInst>(I))
				I.setMetadata("vgpu.chunk", MDNode::get(C, {}));
		MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager().clear(*N, N->getName());
		return N;
	}

	/*
	 * Prefetching a loop trip ahead. A block of a 2.5-D stencil marches
	 * its tile along z in a loop with barriers: each trip reads a new
	 * plane's rows and writes another's, a few cache lines per row at a
	 * stride of a whole plane. A GPU hides that latency with other warps;
	 * here the hardware prefetchers, which follow a stream within a page,
	 * never see one, and the loads and stores of each trip waited for
	 * memory (jacobi3d: most of its time). So each global access in a loop
	 * with barriers whose address steps by a large or unknown stride per
	 * trip (a scalar evolution of that loop) is marked with its address a
	 * trip ahead (markAhead); each region keeps those marks in a function
	 * of their own (regionPrefetch), which the drivers call for a few
	 * threads of each row, one per cache line (cuda.h's __VGPU_PREFETCH),
	 * before the row runs. A prefetch never faults: a mark whose address
	 * would not be used, or lies past the end, costs its instruction only.
	 *
	 * A grid-stride loop (`i += blockDim.x * gridDim.x`, a strided loop
	 * whose trips cutUniformLoops made regions) is the same case with
	 * short trips: each reads a row's few lines (1 KiB of floats for 256
	 * threads), the next trip's a grid of blocks further on, and the
	 * region waited for them (reduce_shfl: three quarters of the image's
	 * samples on its one load). A stride made of gridDim counts as a
	 * parameter's; one of blockDim alone steps along a row, which the
	 * hardware follows. In a loop whose trip is one region (its only
	 * barrier, no loop inside) the marks are PF_AHEAD_SHORT trips ahead
	 * and the drivers prefetch every line of the row (one trip ahead and
	 * a row's ends and middle only: reduce_lastblock 15 -> 14 ms; four
	 * ahead, every line: 5 ms, one worker).
	 */
	Function *fMark = nullptr;	/* __vgpu_prefetch_mark(address, is a store, bytes, a short trip's) */
	unsigned prefetching = 0;	/* the kernel's regions with a prefetch function */
	Function *blockPf = nullptr;	/* the kernel's block prefetch (blockPrefetch) */
	unsigned blockPfStep = 0;
	bool blockPf1d = false;	/* ... for 1-D blocks too (blockPrefetch) */

	/* a constant stride per trip below a page stays with the hardware's
	 * prefetchers, which follow a stream within a page (a block-stride
	 * loop's next elements, a tile's next columns) */
	enum : uint64_t { PF_MIN_STEP = 4096 };
	/* trips ahead (of a loop whose trip is one region: PF_AHEAD_SHORT);
	 * marks per region */
	enum : unsigned { PF_AHEAD = 1, PF_AHEAD_SHORT = 4, PF_MAX = 8 };
	/* the block prefetch's step where no address moves along a row: one
	 * call a row (blockDim.x is at most 1024) */
	enum : unsigned { BLOCK_PF_ROW = 1024 };

	/* a scalar evolution with the loop's recurrences taken out of their
	 * extensions: sext({a,+,s}) as {sext(a),+,sext(s)}, as if the index
	 * never wrapped (CUDA's int indices: `u[y * nx + x]`, y = y0 + ty).
	 * Exact enough for a prefetch, which only guesses */
	struct ExtInward : SCEVRewriteVisitor<ExtInward> {
		const Loop *L;
		ExtInward(ScalarEvolution &SE, const Loop *L) : SCEVRewriteVisitor(SE), L(L) {}
		/* @E's operand visited, then extended (signed or not) as a
		 * recurrence of L where it is one */
		const SCEV *inward(const SCEVIntegralCastExpr *E, bool sign)
		{
			auto ext = [&](const SCEV *x) {
				return sign ? SE.getSignExtendExpr(x, E->getType()) : SE.getZeroExtendExpr(x, E->getType());
			};
			const SCEV *op = visit(E->getOperand());
			if (auto *ar = dyn_cast<SCEVAddRecExpr>(op); ar && ar->getLoop() == L && ar->isAffine())
				return SE.getAddRecExpr(ext(ar->getStart()), ext(ar->getStepRecurrence(SE)), L,
							SCEV::FlagAnyWrap);
			return ext(op);
		}
		const SCEV *visitSignExtendExpr(const SCEVSignExtendExpr *E) { return inward(E, true); }
		const SCEV *visitZeroExtendExpr(const SCEVZeroExtendExpr *E) { return inward(E, false); }
	};

	void markAhead(Function &K)
	{
		prefetching = 0;
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		FAM.invalidate(K, PreservedAnalyses::none());
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(K);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(K);
		struct Acc {
			Instruction *I;
			Value *ptr;
			const SCEV *step;
			bool write;
			uint64_t size;
			bool shortTrip;
		};
		std::vector<Acc> todo;
		/* a stride's values: the parameters, and the context's fields below
		 * the threads' states (the block's and grid's sizes); gridDim or a
		 * parameter in it (a stride of blockDim alone steps through a row) */
		auto notParam = [&](const SCEV *e) {
			auto *u = dyn_cast<SCEVUnknown>(e);
			if (!u || isa<Argument>(u->getValue()))
				return false;
			auto *ld = dyn_cast<LoadInst>(u->getValue());
			APInt off;
			return !ld || !ctxLoad(ld, off) || !off.ult(CTX_STATE_OFF);
		};
		auto gridOrParam = [&](const SCEV *e) {
			auto *u = dyn_cast<SCEVUnknown>(e);
			if (!u)
				return false;
			if (isa<Argument>(u->getValue()))
				return true;
			auto *ld = dyn_cast<LoadInst>(u->getValue());
			APInt off;
			return ld && ctxLoad(ld, off) && off.uge(CTX_GDIM_OFF) && off.ult(CTX_GDIM_OFF + 12);
		};
		for (Loop *L : LI.getLoopsInPreorder()) {
			bool bar, asmCall;
			callsIn(L, bar, asmCall);
			if (!bar || asmCall)
				continue;
			unsigned syncs = 0;
			for (BasicBlock *bb : L->blocks())
				for (Instruction &I : *bb)
					syncs += isSync(I);
			const bool shortTrip = syncs == 1 && L->isInnermost();
			for (BasicBlock *bb : L->blocks()) {
				if (LI.getLoopFor(bb) != L)
					continue;
				for (Instruction &I : *bb) {
					Value *p;
					Type *t;
					if (!simpleAccess(I, p, t))
						continue;
					if (!isa<Argument>(getUnderlyingObject(p, 16)) || !SE.isSCEVable(p->getType()))
						continue;
					auto *ar = dyn_cast<SCEVAddRecExpr>(ExtInward(SE, L).visit(SE.getSCEV(p)));
					if (!ar || ar->getLoop() != L || !ar->isAffine())
						continue;
					const SCEV *s = ar->getStepRecurrence(SE);
					if (auto *c = dyn_cast<SCEVConstant>(s); c && c->getAPInt().abs().ult(PF_MIN_STEP))
						continue;
					if (SCEVExprContains(s, notParam) || (!isa<SCEVConstant>(s) && !SCEVExprContains(s, gridOrParam)))
						continue;
					todo.push_back({ &I, p, s, isa<StoreInst>(&I), DL().getTypeStoreSize(t), shortTrip });
				}
			}
		}
		if (todo.empty())
			return;
		if (!fMark) {
			Type *ptr = PointerType::get(C, 0), *i32 = Type::getInt32Ty(C);
			fMark = Function::Create(FunctionType::get(Type::getVoidTy(C), { ptr, i32, i32, i32 }, false),
						 GlobalValue::ExternalLinkage, "__vgpu_prefetch_mark", M);
			fMark->addFnAttr(Attribute::NoUnwind);
			fMark->addFnAttr(Attribute::WillReturn);
			fMark->setMemoryEffects(MemoryEffects::inaccessibleMemOnly());
		}
		SCEVExpander X(SE, DL(), "pf");
		for (Acc &a : todo) {
			const SCEV *d = SE.getMulExpr(a.step, SE.getConstant(a.step->getType(),
									 a.shortTrip ? PF_AHEAD_SHORT : PF_AHEAD));
			Value *off = X.expandCodeFor(d, d->getType(), a.I);
			IRBuilder<> b(a.I);
			b.CreateCall(fMark, { b.CreateGEP(b.getInt8Ty(), a.ptr, off, "ahead"), b.getInt32(a.write),
					      b.getInt32((uint32_t)std::min<uint64_t>(a.size, 64)), b.getInt32(a.shortTrip) });
		}
		X.clear();
		FAM.invalidate(K, PreservedAnalyses::none());
	}

	/* whether @v can be computed at a region's start for any thread: from
	 * its arguments, the context's fields (the uniform values too) and
	 * constants, by arithmetic that cannot trap */
	bool prefetchable(Value *v, unsigned &budget, std::map<Value *, bool> &memo, MemorySSA *MSSA = nullptr)
	{
		if (isa<Constant>(v) || isa<Argument>(v))
			return true;
		auto *I = dyn_cast<Instruction>(v);
		if (!I || isa<PHINode>(I) || isa<AllocaInst>(I) || I->isTerminator() || I->mayHaveSideEffects() ||
		    I->isIntDivRem())
			return false;
		if (auto it = memo.find(v); it != memo.end())
			return it->second;
		memo[v] = false;
		if (!budget)
			return false;
		budget--;
		bool ok;
		APInt off;
		if (auto *L = dyn_cast<LoadInst>(I))
			ok = (ctxLoad(L, off) && off.ult(CTX_STATE_OFF)) || frameLoad(L, MSSA);
		else if (auto *cb = dyn_cast<CallBase>(I))
			ok = isa<IntrinsicInst>(cb) && cb->doesNotAccessMemory() && !cb->isConvergent();
		else
			ok = !I->mayReadOrWriteMemory();
		for (unsigned i = 0; ok && i < I->getNumOperands(); i++)
			ok = prefetchable(I->getOperand(i), budget, memo, MSSA);
		memo[v] = ok;
		return ok;
	}

	/*
	 * Whether @L reads a thread's slot in the frame (a value live across
	 * warp syncs: a warp-stride loop's index) as the region found it: no
	 * store of the region before it (@MSSA: its clobber is the region's
	 * entry). At the region's start the slot holds that value already:
	 * the index of a loop with warp syncs in it, kept per thread, is
	 * prefetched from there (vote_ballot's next 32 samples).
	 */
	bool frameLoad(LoadInst *L, MemorySSA *MSSA)
	{
		if (!MSSA || L->isVolatile() || L->isAtomic())
			return false;
		auto *fl = dyn_cast<LoadInst>(getUnderlyingObject(L->getPointerOperand(), 8));
		APInt off;
		if (!fl || !ctxLoad(fl, off) || off != CTX_FRAME_OFF)
			return false;
		MemoryAccess *ma = MSSA->getWalker()->getClobberingMemoryAccess(L);
		return MSSA->isLiveOnEntryDef(ma);
	}

	/*
	 * The prefetch function of region @R: its marks' addresses, for the
	 * thread it is called for, computed at its start and prefetched (null
	 * where none can be computed there); the marks leave @R. @step: the
	 * threads one cache line spans for the widest access marked; @dense:
	 * a mark of a short trip's (the drivers prefetch every line of a row).
	 */
	Function *regionPrefetch(Function *R, unsigned &step, bool &dense)
	{
		step = 0;
		dense = false;
		std::vector<CallInst *> marks;
		for (Instruction &I : instructions(R))
			if (auto *ci = dyn_cast<CallInst>(&I); ci && fMark && ci->getCalledFunction() == fMark)
				marks.push_back(ci);
		if (marks.empty())
			return nullptr;
		Function *S = ssaCopy(R, ".pfs");
		for (CallInst *ci : marks)
			ci->eraseFromParent();
		/* a slot's value stored and read again in the region (a loop's
		 * index: `i += stride` then `x[i]`) forwarded, so that the mark
		 * reads the slot as the region found it (frameLoad) */
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		{
			FunctionPassManager FPM;
			FPM.addPass(EarlyCSEPass(true));
			FPM.run(*S, FAM);
		}
		MemorySSA &MSSA = FAM.getResult<MemorySSAAnalysis>(*S).getMSSA();
		Function *P = Function::Create(R->getFunctionType(), GlobalValue::InternalLinkage, R->getName() + ".pf", M);
		P->addFnAttr(Attribute::NoUnwind);
		ReturnInst *ret = ReturnInst::Create(C, ConstantInt::get(Type::getInt32Ty(C), 0), BasicBlock::Create(C, "", P));
		std::map<Value *, Value *> vm;
		for (unsigned i = 0; i < S->arg_size(); i++)
			vm[S->getArg(i)] = P->getArg(i);
		Function *pre = Intrinsic::getDeclaration(&M, Intrinsic::prefetch, { PointerType::get(C, 0) });
		unsigned n = 0;
		uint64_t widest = 0;
		for (Instruction &I : instructions(S)) {
			auto *ci = dyn_cast<CallInst>(&I);
			if (!ci || ci->getCalledFunction() != fMark || n >= PF_MAX)
				continue;
			unsigned budget = 48;
			std::map<Value *, bool> memo;
			if (!prefetchable(ci->getArgOperand(0), budget, memo, &MSSA))
				continue;
			IRBuilder<> b(ret);
			b.CreateCall(pre, { recompute(ci->getArgOperand(0), ret, vm, true),
					    b.getInt32(cast<ConstantInt>(ci->getArgOperand(1))->getZExtValue()), b.getInt32(3),
					    b.getInt32(1) });
			widest = std::max<uint64_t>(widest, cast<ConstantInt>(ci->getArgOperand(2))->getZExtValue());
			dense = dense || cast<ConstantInt>(ci->getArgOperand(3))->getZExtValue();
			n++;
		}
		dropCopy(S);
		if (!n) {
			P->eraseFromParent();
			return nullptr;
		}
		step = 64 / std::max<uint64_t>(widest, 1);
		prefetching++;
		return P;
	}

	/* whether @v is made of the thread's x or linear index (a body's
	 * arguments 1 and 4) */
	static bool ofX(Value *v, unsigned depth = 8)
	{
		if (auto *A = dyn_cast<Argument>(v))
			return A->getArgNo() == 1 || A->getArgNo() == 4;
		auto *I = dyn_cast<Instruction>(v);
		if (!I || !depth)
			return false;
		for (Value *op : I->operands())
			if (ofX(op, depth - 1))
				return true;
		return false;
	}

	/*
	 * Prefetching the block ahead. A 2-D tile's block reads a few cache
	 * lines from each of its rows, a matrix's row apart (a 16x16 tile of
	 * floats: 64 bytes from each of 16 rows), and the next block the lines
	 * beside them: no stream the hardware's prefetchers follow, so every
	 * block waited for its rows (backprop_layer: most of its two kernels'
	 * time on their first loads). The kernel's global accesses whose
	 * address the thread's index, the parameters and the block's
	 * coordinates make (not in a loop over loaded values, not through
	 * memory) are prefetched by a function of their own, for one thread
	 * of the block the context names; the drivers call it for a thread a
	 * cache line of each row of the block ahead before running a block
	 * (cuda.h's __vgpu_ctx_ahead), or once a row where no address is made
	 * of the thread's x or linear index (the block's own elements). Made
	 * from the body @B before it is cut into regions (@regions: its resume
	 * argument taken as 0), so that one function sees every region's
	 * accesses; @pl: the parameters' loads from the context. @step: the
	 * threads a cache line spans for the widest access (0: none;
	 * BLOCK_PF_ROW: one a row). @oneRow: for blocks of one row too, unless
	 * an address is the thread's x times a value that is no constant
	 * (counts[threadIdx.x * gridDim.x + blockIdx.x]: a line a thread, most
	 * of them behind a test that fails; radix_digits 2.6 % slower with
	 * them prefetched).
	 */
	Function *blockPrefetch(Function *B, bool regions, const std::vector<ParamLoad> &pl, unsigned &step,
				bool &oneRow)
	{
		step = 0;
		oneRow = false;
		Type *i32 = Type::getInt32Ty(C), *ptr = PointerType::get(C, 0), *vt = Type::getVoidTy(C);
		ValueToValueMapTy VM;
		if (regions)
			VM[B->getArg(5)] = ConstantInt::get(i32, 0);
		Function *S0 = CloneFunction(B, VM);
		S0->setName(B->getName() + ".bpc");
		Function *S = ssaCopy(S0, "s");
		dropCopy(S0);
		SmallVector<Type *, 16> ps;
		for (Argument &A : S->args())
			ps.push_back(A.getType());
		Function *P = Function::Create(FunctionType::get(vt, ps, false), GlobalValue::InternalLinkage,
					       B->getName() + ".bpf", M);
		P->addFnAttr(Attribute::NoUnwind);
		P->addFnAttr(Attribute::AlwaysInline);
		ReturnInst *ret = ReturnInst::Create(C, BasicBlock::Create(C, "", P));
		std::map<Value *, Value *> vm;
		for (unsigned i = 0; i < S->arg_size(); i++)
			vm[S->getArg(i)] = P->getArg(i);
		Function *pre = Intrinsic::getDeclaration(&M, Intrinsic::prefetch, { ptr });
		unsigned n = 0;
		uint64_t widest = 0;
		bool alongRow = false, spread = false;
		std::set<Value *> seen;
		for (Instruction &I : instructions(S)) {
			Value *p;
			Type *t;
			if (!simpleAccess(I, p, t))
				continue;
			/* a parameter's memory (arguments 0-4: the context, the thread) */
			auto *A = dyn_cast<Argument>(getUnderlyingObject(p, 16));
			if (!A || A->getArgNo() < 5 || A->hasByValAttr() || n >= PF_MAX || !seen.insert(p).second)
				continue;
			unsigned budget = 48;
			std::map<Value *, bool> memo;
			if (!prefetchable(p, budget, memo))
				continue;
			/* made of the thread's x or linear index (arguments 1, 4)?
			 * times a value that is no constant: a line a thread */
			for (auto &[v, ok] : memo) {
				auto *J = dyn_cast<Instruction>(v);
				if (!J || !ok)
					continue;
				for (Value *op : J->operands())
					if (auto *A = dyn_cast<Argument>(op))
						alongRow |= A->getArgNo() == 1 || A->getArgNo() == 4;
				if (J->getOpcode() == Instruction::Mul || J->getOpcode() == Instruction::Shl)
					for (unsigned k = 0; k < 2; k++)
						spread |= ofX(J->getOperand(k)) && !isa<Constant>(J->getOperand(1 - k));
			}
			IRBuilder<> b(ret);
			b.CreateCall(pre, { recompute(p, ret, vm, true), b.getInt32(isa<StoreInst>(&I)), b.getInt32(3),
					    b.getInt32(1) });
			widest = std::max<uint64_t>(widest, DL().getTypeStoreSize(t));
			n++;
		}
		dropCopy(S);
		/* the drivers' call: (ctx, x, y, z, lin), the parameters loaded here */
		Function *W = Function::Create(FunctionType::get(vt, { ptr, i32, i32, i32, i32 }, false),
					       GlobalValue::InternalLinkage, B->getName() + ".bpw", M);
		W->addFnAttr(Attribute::NoUnwind);
		W->addFnAttr(Attribute::AlwaysInline);
		IRBuilder<> wb(BasicBlock::Create(C, "", W));
		if (n) {
			SmallVector<Value *, 16> a;
			for (unsigned i = 0; i < 5; i++)
				a.push_back(W->getArg(i));
			std::vector<Value *> pv = loadParams(wb, W->getArg(0), pl);
			a.append(pv.begin(), pv.end());
			wb.CreateCall(P, a);
			step = alongRow ? 64 / std::max<uint64_t>(std::min<uint64_t>(widest, 64), 1) : BLOCK_PF_ROW;
			oneRow = !spread;
		} else {
			P->eraseFromParent();
		}
		wb.CreateRetVoid();
		return W;
	}

	/*
	 * Whether every thread running region @R leaves it the same way (its
	 * ways out are constant states): each branch that chooses between
	 * them tests values the same in every thread (constants, the kernel's
	 * parameters, the context's fields: uniform values, the block's
	 * coordinates), and a branch on anything else joins again before any
	 * such branch or way out. Then the driver needs no state per thread.
	 */
	bool uniformExit(Function *R0)
	{
		Function *R = ssaCopy(R0, ".exit");
		const bool u = uniformExitSSA(R);
		dropCopy(R);
		return u;
	}
	bool uniformExitSSA(Function *R)
	{
		std::map<BasicBlock *, std::set<uint64_t>> reach;
		for (bool changed = true; changed;) {
			changed = false;
			for (BasicBlock &BB : *R) {
				std::set<uint64_t> s;
				if (auto *ret = dyn_cast<ReturnInst>(BB.getTerminator()))
					s.insert(cast<ConstantInt>(ret->getReturnValue())->getZExtValue());
				for (BasicBlock *succ : successors(&BB))
					s.insert(reach[succ].begin(), reach[succ].end());
				if (s != reach[&BB]) {
					reach[&BB] = s;
					changed = true;
				}
			}
		}
		auto deciding = [&](BasicBlock *BB) {
			for (BasicBlock *succ : successors(BB))
				if (reach[succ] != reach[*succ_begin(BB)])
					return true;
			return false;
		};
		/*
		 * A phi (a loop's counter kept in the region, a value set on
		 * both sides of a branch) is the same in every thread when its
		 * incoming values are and no branch on a per-thread value chooses
		 * between them: not at the join of such a branch nor inside one
		 * (@divergent); a phi with one value on every way in is that
		 * value. Loops make that circular: a value met again while it is
		 * being worked out is taken to be the same, and if it turns out
		 * not to be, everything is worked out again with it known not to
		 * be (@differs); the divergent blocks likewise, until neither
		 * changes.
		 */
		std::set<BasicBlock *> divergent;
		std::set<Value *> differs, hit;
		std::map<Value *, int> memo;	/* 0: not, 1: the same, 2: being worked out */
		bool again = false;
		std::function<bool(Value *)> same = [&](Value *v) -> bool {
			if (isa<Constant>(v))
				return true;
			if (auto *A = dyn_cast<Argument>(v))	/* ctx, x, y, z, lin, parameters (the state is fixed) */
				return (A->getArgNo() == 0 || A->getArgNo() >= 5) && !A->hasByValAttr();
			auto *I = dyn_cast<Instruction>(v);
			if (!I || differs.count(v))
				return false;
			if (auto it = memo.find(v); it != memo.end()) {
				if (it->second == 2)	/* round a loop: taken to be, checked below */
					hit.insert(v);
				return it->second != 0;
			}
			memo[v] = 2;
			bool u = false;
			if (auto *P = dyn_cast<PHINode>(I)) {
				if (Value *one = P->hasConstantValue()) {
					u = same(one);	/* one value on every way in */
				} else if (!divergent.count(P->getParent())) {
					u = true;
					for (Value *in : P->incoming_values())
						u = u && same(in);
				}
			} else if (auto *L = dyn_cast<LoadInst>(I)) {
				/* a field of the context (no region writes one) */
				APInt off;
				u = ctxLoad(L, off);
			} else if (isa<BinaryOperator>(I) || isa<CmpInst>(I) || isa<CastInst>(I) || isa<SelectInst>(I) ||
				   isa<FreezeInst>(I)) {
				u = true;
				for (Value *op : I->operands())
					u = u && same(op);
			}
			if (!u && hit.count(v)) {
				differs.insert(v);	/* what took it to be is worked out again */
				again = true;
			}
			memo[v] = u;
			return u;
		};
		PostDominatorTree PDT(*R);
		for (;;) {
			std::set<BasicBlock *> div;
			memo.clear();
			hit.clear();
			again = false;
			for (BasicBlock &BB : *R) {
				if (BB.getTerminator()->getNumSuccessors() < 2)
					continue;
				Value *cond = branchCondition(&BB);
				if (cond && same(cond))
					continue;
				BasicBlock *join = nullptr;
				blocksUnder(&BB, PDT, div, &join);
				if (join)
					div.insert(join);
			}
			if (!again && div == divergent)
				break;
			divergent.insert(div.begin(), div.end());
		}
		memo.clear();
		hit.clear();
		for (BasicBlock &BB : *R) {
			Instruction *T = BB.getTerminator();
			if (T->getNumSuccessors() < 2)
				continue;
			Value *cond = branchCondition(&BB);
			if (!cond)
				return false;
			if (same(cond))
				continue;
			if (deciding(&BB))
				return false;
			/* the threads' paths from here join before anything decides */
			std::set<BasicBlock *> under;
			BasicBlock *join = nullptr;
			blocksUnder(&BB, PDT, under, &join);
			if (!join)
				return false;
			for (BasicBlock *b : under)
				if (isa<ReturnInst>(b->getTerminator()) || deciding(b))
					return false;
		}
		return !again;	/* (a phi assumed the same in another order: not) */
	}

	/* 7. dispatch(region, ctx, sel): the region's all- or selected-threads function */
	Function *makeDispatch(Function &K, const std::vector<Function *> &fall, const std::vector<Function *> &fsel)
	{
		Type *i32 = Type::getInt32Ty(C), *ptr = PointerType::get(C, 0);
		FunctionType *dt = FunctionType::get(i32, { i32, ptr, i32 }, false);
		Function *D = Function::Create(dt, GlobalValue::InternalLinkage, "__vgpu_dispatch." + K.getName(), M);
		BasicBlock *e = BasicBlock::Create(C, "e", D), *bad = BasicBlock::Create(C, "bad", D);
		IRBuilder<> bb(bad);
		bb.CreateRet(ConstantInt::get(i32, ST_DONE));
		IRBuilder<> b(e);
		Value *r = b.CreateAnd(D->getArg(0), b.getInt32(ST_WARP - 1));
		SwitchInst *s = b.CreateSwitch(r, bad, fall.size());
		for (unsigned i = 0; i < fall.size(); i++) {
			BasicBlock *c = BasicBlock::Create(C, "r", D);
			BasicBlock *ca = BasicBlock::Create(C, "all", D);
			BasicBlock *cs = BasicBlock::Create(C, "sel", D);
			IRBuilder<> cb(c);
			cb.CreateCondBr(cb.CreateICmpNE(D->getArg(2), cb.getInt32(0)), cs, ca);
			IRBuilder<> ab(ca);
			ab.CreateRet(ab.CreateCall(fall[i], { D->getArg(1) }));
			IRBuilder<> sb(cs);
			sb.CreateRet(sb.CreateCall(fsel[i], { D->getArg(1) }));
			s->addCase(b.getInt32(i), c);
		}
		return D;
	}

	/*
	 * Where each region of kernel @K starts, a line per region in the
	 * dispatcher's order ("k.cu:22 after a barrier"), exported as
	 * __vgpu_regions_<K>: the labels of the region profile (cuda.h's
	 * __VGPU_PROF_*, VGPU_CPU_PROFILE) that libvgpu's vgpu_kernel_profile
	 * prints beside each region's cycles.
	 */
	void regionTable(Function &K, const std::vector<Bar> &bl)
	{
		std::string t;
		if (DISubprogram *sp = K.getSubprogram())
			t += (sp->getFilename() + ":" + Twine(sp->getLine()) + " ").str();
		t += "the kernel's start\n";
		for (const Bar &b : bl)
			t += b.label + "\n";
		Constant *tc = ConstantDataArray::getString(C, t);
		auto *g = new GlobalVariable(M, tc->getType(), true, GlobalValue::ExternalLinkage, tc,
					     "__vgpu_regions_" + K.getName());
		g->setVisibility(GlobalValue::DefaultVisibility);
	}

	/* the block driver of kernel @K over dispatcher @D, with @frame bytes per thread, slots @stride threads apart (0: the block's size) */
	void makeBarrierDriver(Function &K, Function *D, uint64_t frame, uint64_t stride)
	{
		Function *N = instantiate(get("__vgpu_tmpl_barrier"), "__vgpu_blocks_" + K.getName(),
					  { { get("__vgpu_dispatch"), D }, { get("__vgpu_block_prefetch"), blockPf } },
					  GlobalValue::ExternalLinkage);
		setConstCalls(N, "__vgpu_block_prefetch_step", blockPfStep);
		setConstCalls(N, "__vgpu_block_prefetch_1d", blockPf1d);
		setConstCalls(N, "__vgpu_frame_bytes", frame);
		setConstCalls(N, "__vgpu_frame_stride", stride);
		setConstCalls(N, "__vgpu_reduce_kinds", reduceKinds);
	}

	/* the calls in @F to the placeholder @name become the constant @v */
	void setConstCalls(Function *F, const char *name, uint64_t v)
	{
		Function *ph = get(name);
		std::vector<CallInst *> calls;
		for (Instruction &I : instructions(F))
			if (auto *ci = dyn_cast<CallInst>(&I); ci && ph && ci->getCalledFunction() == ph)
				calls.push_back(ci);
		for (CallInst *ci : calls) {
			ci->replaceAllUsesWith(ConstantInt::get(ci->getType(), v));
			ci->eraseFromParent();
		}
	}

	/*
	 * Kernel @K with barriers, body @B: cut at the barriers into regions,
	 * what lives across them kept per thread (or per block when uniform),
	 * one function per region and a driver running them in turn. @how: a
	 * line for the kernel table. False when refused (reported).
	 */
	bool lowerRegions(Function &K, Function *B, std::string &how, const std::vector<ParamLoad> &pl, unsigned cuts,
			  unsigned strided)
	{
		std::map<BasicBlock *, unsigned> barIdx;
		unsigned nb = 0, nw = 0;
		std::vector<Bar> bl = isolateBarriers(B, barIdx, nb, nw);
		rematerialize(B);
		Instruction *allocaPt = demoteCrossBlockValues(B);
		std::vector<BasicBlock *> starts = { B->getEntryBlock().getSingleSuccessor() };
		for (Bar &b : bl)
			starts.push_back(b.bb->getSingleSuccessor());
		std::map<BasicBlock *, std::set<unsigned>> regionsOf = findRegions(starts, barIdx);
		std::vector<AllocaInst *> live, uni;
		std::vector<std::pair<AllocaInst *, uint64_t>> priv;
		uint64_t frame = 0;
		if (!liveAcrossBarriers(K, B, regionsOf, live, starts, barIdx) || !layoutFrame(K, B, live, uni, priv, frame))
			return false;
		/* slots a constant number of threads apart (at least CUDA's
		 * largest block, 1024, and not a power of two: slots 4 KiB apart
		 * would share cache sets) while that costs a worker at most ~4 MiB */
		const uint64_t stride = frame <= 4096 ? 1040 : 0;
		placeLiveState(B, allocaPt, priv, uni, stride);
		wireResume(B, bl, starts, uni);
		std::vector<Function *> fall, fsel;
		unsigned narrowed = 0, peeled = 0, chunked = 0;
		cloneRegions(K, B, bl, pl, uni.size(), fall, fsel, narrowed, peeled, chunked);
		makeBarrierDriver(K, makeDispatch(K, fall, fsel), frame, stride);
		regionTable(K, bl);
		how = "regions: " + std::to_string(bl.size() + 1) + " (" + std::to_string(nb) +
		      " barriers" + (cuts ? ", " + std::to_string(cuts) + " at uniform loops" : "") +
		      (strided ? ", " + std::to_string(strided) + " at strided loops" : "") + ", " +
		      std::to_string(nw) + " warp syncs" +
		      (warpBranches ? ", " + std::to_string(warpBranches) + " warp branch for all" : "") + "), " +
		      std::to_string(frame) +
		      " bytes per thread and " + std::to_string(uni.size()) +
		      " uniform values live across them" +
		      (narrowed ? ", " + std::to_string(narrowed) + " narrowed" : "") +
		      (peeled ? ", " + std::to_string(peeled) + " peeled" : "") +
		      (chunked ? ", " + std::to_string(chunked) + " by 32 threads" : "") +
		      (prefetching ? ", " + std::to_string(prefetching) + " prefetching" : "");
		return true;
	}

	/*
	 * A function the module calls but does not define must come from the
	 * C library or libm (what libvgpu's process has loaded when it loads
	 * the image); anything else would fail only at load time, as an
	 * "undefined symbol" in an unnamed file. This process (clang) has the
	 * same libc and libm loaded: what dlsym cannot find here is refused at
	 * the user's line. (Separate compilation, -rdc, is not supported.)
	 */
	void checkUndefined()
	{
		for (Function &F : M) {
			if (!F.isDeclaration() || F.isIntrinsic() || F.use_empty() ||
			    F.getName().startswith("__vgpu_") ||	/* in kernels refused above */
			    dlsym(RTLD_DEFAULT, F.getName().str().c_str()))
				continue;
			CallBase *at = nullptr;
			for (User *U : F.users())
				if (auto *cb = dyn_cast<CallBase>(U); cb && userFns.count(cb->getFunction()) &&
				    (!at || (!at->getDebugLoc() && cb->getDebugLoc())))
					at = cb;
			if (!at)
				continue;
			std::string dem = demangle(F.getName().str());
			error(*at->getFunction(), Twine("'") + dem + "' is declared but not defined in the module "
				 "(a __device__ function must be defined in the same source: separate "
				 "compilation is not supported)", at->getDebugLoc());
		}
	}

	/* the device runtime's builtins the lowering looks for */
	void findBuiltins()
	{
		const char *tn[3] = { "__vgpu_tid_x", "__vgpu_tid_y", "__vgpu_tid_z" };
		for (int d = 0; d < 3; d++)
			fTid[d] = get(tn[d]);
		fLin = get("__vgpu_lin");
		fCtx = get("__vgpu_ctxp");
		fBar = get("__vgpu_barrier");
		fWarp = get("__vgpu_warp_sync");
		fBallot = get("__vgpu_warp_sync_ballot");
		fRed = get("__vgpu_warp_sync_reduce");
	}

	/* the kernels (annotated vgpu.kernel) and the __shared__ variables (vgpu.shared, dynamic ones: extern arrays) */
	std::vector<Function *> findKernels()
	{
		std::vector<Function *> kernels;
		GlobalVariable *ann = M.getGlobalVariable("llvm.global.annotations");
		if (ann && ann->hasInitializer()) {
			auto *arr = cast<ConstantArray>(ann->getInitializer());
			for (Value *op : arr->operands()) {
				auto *cs = cast<ConstantStruct>(op);
				Value *what = cs->getOperand(0)->stripPointerCasts();
				auto *gs = cast<GlobalVariable>(cs->getOperand(1)->stripPointerCasts());
				StringRef tag = cast<ConstantDataArray>(gs->getInitializer())->getAsCString();
				if (tag == "vgpu.kernel" && isa<Function>(what))
					kernels.push_back(cast<Function>(what));
				else if (tag == "vgpu.bounds" && isa<Function>(what) && cs->getNumOperands() > 4) {
					/* the attribute's arguments: a constant struct, the threads first */
					auto *ag = dyn_cast<GlobalVariable>(cs->getOperand(4)->stripPointerCasts());
					auto *st = ag && ag->hasInitializer() ? dyn_cast<ConstantStruct>(ag->getInitializer()) : nullptr;
					auto *n = st && st->getNumOperands() ? dyn_cast<ConstantInt>(st->getOperand(0)) : nullptr;
					if (n && n->getZExtValue() > 0 && n->getZExtValue() < 1024)
						bounds[cast<Function>(what)] = n->getZExtValue();
				}
				else if (tag == "vgpu.shared" && isa<GlobalVariable>(what))
					shared.insert(cast<GlobalVariable>(what));
			}
			ann->eraseFromParent();
		}
		for (GlobalVariable &G : M.globals()) {
			if (G.isDeclaration() && G.getValueType()->isArrayTy())
				dynShared.push_back(&G);
		}
		for (GlobalVariable *G : shared)
			G->setThreadLocalMode(GlobalValue::GeneralDynamicTLSModel);
		kernelSet.insert(kernels.begin(), kernels.end());
		for (Function &F : M)
			if (!F.isDeclaration() && !F.getName().startswith("__vgpu_") &&
			    !(F.getSubprogram() && F.getSubprogram()->getFilename().endswith("vgpu_cuda.h")))
				userFns.insert(&F);
		return kernels;
	}

	/*
	 * Whether @v is the same in every lane of a warp: the block's values
	 * (constants, parameters, the context's block fields) and the thread's
	 * index past its low five bits (lin >> 5, lin / 64, tid < 32, lin & ~31
	 * and what is computed from those). Through threadIdx (x beyond its low
	 * bits, y, z) only where a warp lies in one row of the block (@rows gets
	 * WU_ROWS), through x + blockDim.x * y (a 2-D block's linear index) only
	 * where it is the linear index or warps lie in one slice of z
	 * (WU_SLICES): the caller tests blockDim for those at run time.
	 */
	enum { WU_ROWS = 1, WU_SLICES = 2 };
	bool warpUniform(Value *v, unsigned &rows, unsigned depth = 0)
	{
		using namespace PatternMatch;
		if (isa<Constant>(v))
			return true;
		if (auto *A = dyn_cast<Argument>(v))
			return !A->hasByValAttr();
		auto *I = dyn_cast<Instruction>(v);
		if (!I || depth > 16)
			return false;
		/* the thread's index (lin, or x: then rows), through extensions;
		 * x + blockDim.x * y as in a 2-D block's linear index is lin */
		auto call = [&](Value *t, Function *f) {
			while (isa<ZExtInst>(t) || isa<SExtInst>(t))
				t = cast<Instruction>(t)->getOperand(0);
			auto *cb = dyn_cast<CallInst>(t);
			return cb && f && cb->getCalledFunction() == f;
		};
		auto tid = [&](Value *t, unsigned &r) {
			while (isa<ZExtInst>(t) || isa<SExtInst>(t))
				t = cast<Instruction>(t)->getOperand(0);
			if (call(t, fLin))
				return true;
			if (call(t, fTid[0])) {
				r |= WU_ROWS;
				return true;
			}
			if (!linear2d(t, [&](Value *a) { return call(a, fTid[0]); },
				      [&](Value *y) { return call(y, fTid[1]); }, false))
				return false;
			r |= WU_SLICES;
			return true;
		};
		auto *c1 = I->getNumOperands() == 2 ? dyn_cast<ConstantInt>(I->getOperand(1)) : nullptr;
		unsigned r = 0;
		if (c1 && tid(I->getOperand(0), r)) {
			const APInt &k = c1->getValue();
			bool ok = false;
			switch (I->getOpcode()) {
			case Instruction::LShr:
			case Instruction::AShr:
				ok = k.uge(5);
				break;
			case Instruction::UDiv:
			case Instruction::SDiv:
				ok = !k.isZero() && k.countTrailingZeros() >= 5;
				break;
			case Instruction::And:
				ok = k.countTrailingZeros() >= 5;
				break;
			case Instruction::ICmp:
				switch (cast<ICmpInst>(I)->getPredicate()) {
				case CmpInst::ICMP_ULT: case CmpInst::ICMP_UGE:
				case CmpInst::ICMP_SLT: case CmpInst::ICMP_SGE:
					ok = k.countTrailingZeros() >= 5;
					break;
				case CmpInst::ICMP_ULE: case CmpInst::ICMP_UGT:
				case CmpInst::ICMP_SLE: case CmpInst::ICMP_SGT:
					ok = (k + 1).countTrailingZeros() >= 5;
					break;
				default:
					break;
				}
				break;
			default:
				break;
			}
			if (ok)
				rows |= r;
			return ok;
		}
		if (calls(I, fTid[1]) || calls(I, fTid[2])) {
			rows |= WU_ROWS;
			return true;
		}
		if (auto *L = dyn_cast<LoadInst>(I))
			return blockField(L);
		if (!isa<BinaryOperator>(I) && !isa<CmpInst>(I) && !isa<CastInst>(I) && !isa<SelectInst>(I) &&
		    !isa<FreezeInst>(I))
			return false;
		for (Value *op : I->operands())
			if (!warpUniform(op, rows, depth + 1))
				return false;
		return true;
	}

	/* whether @p addresses the device runtime's own memory: the context,
	 * what its fields point to, the warp exchange (__vgpu_wx, _wb, _wv) */
	bool runtimeMemory(Value *p)
	{
		const Value *o = getUnderlyingObject(p, 16);
		if (auto *L = dyn_cast<LoadInst>(o))
			o = getUnderlyingObject(L->getPointerOperand(), 16);
		if (isa<CallBase>(o))
			return calls(o, fCtx);
		if (auto *G = dyn_cast<GlobalVariable>(o))
			return G->getName().contains("__vgpu_w");
		return false;
	}

	/*
	 * A branch that whole warps take or skip together around warp
	 * functions and no barrier (`if (warp == 0) { v = s[lane]; v =
	 * warp_sum(v); if (lane == 0) out = v; }`: a block reduction's last
	 * step) is run by every warp, the user's memory accesses and calls in
	 * it under its condition, the values it sets chosen by it where its
	 * paths meet. The block then reaches its warp syncs together: the
	 * driver had parted it into groups there (the warp that works, then
	 * the rest at the barrier after), ~170 ns a block reduction on the
	 * EPYC of the benchmarks against ~20 ns for the other warps'
	 * discarded steps. Only a branch whose code up to the join runs
	 * without loops (a loop of shuffles is one warp sync by now: a loop
	 * on values the skipped warps do not load would not end) and without
	 * returns; where the condition is the same across a warp only when
	 * warps lie in one row (threadIdx.x < 32, threadIdx.y == 0), blocks of
	 * other shapes take the branch as before (a test of blockDim).
	 */
	unsigned predicateWarpBranches(Function &K)
	{
		bool any = false;
		for (Instruction &I : instructions(K))
			if (auto *cb = dyn_cast<CallBase>(&I); cb && isSync(I) && cb->getCalledFunction() != fBar)
				any = true;
		if (!any)
			return 0;
		unsigned done = 0;
		std::set<BranchInst *> seen;	/* taken by every warp now: not again */
		for (bool again = true; again;) {
			again = false;
			DominatorTree DT(K);
			PostDominatorTree PDT(K);
			for (BasicBlock &BB : K) {
				auto *br = dyn_cast<BranchInst>(BB.getTerminator());
				if (!br || !br->isConditional() || seen.count(br))
					continue;
				for (unsigned side = 0; side < 2 && !again; side++) {
					BasicBlock *T = br->getSuccessor(side), *F = br->getSuccessor(1 - side);
					if (T == F || T->getSinglePredecessor() != &BB || !PDT.dominates(F, T))
						continue;
					unsigned rows = 0;
					if (!warpUniform(br->getCondition(), rows))
						continue;
					if (predicateBranch(br, side, rows, DT)) {
						seen.insert(br);
						done++;
						again = true;
					}
				}
				if (again)
					break;
			}
		}
		return done;
	}

	bool predicateBranch(BranchInst *br, unsigned side, unsigned rows, DominatorTree &DT)
	{
		BasicBlock *BB = br->getParent(), *T = br->getSuccessor(side), *F = br->getSuccessor(1 - side);
		/* the blocks from T up to F: acyclic, no way out but F */
		std::vector<BasicBlock *> region;
		std::set<BasicBlock *> in;
		std::vector<BasicBlock *> work = { T };
		in.insert(T);
		while (!work.empty()) {
			BasicBlock *X = work.back();
			work.pop_back();
			region.push_back(X);
			if (!isa<BranchInst>(X->getTerminator()))
				return false;
			for (BasicBlock *S : successors(X)) {
				if (S == F)
					continue;
				if (!DT.dominates(T, S) || DT.dominates(S, X))
					return false;	/* another way in, or a loop */
				if (in.insert(S).second)
					work.push_back(S);
			}
		}
		bool warp = false;
		for (BasicBlock *X : region)
			for (Instruction &I : *X) {
				auto *cb = dyn_cast<CallBase>(&I);
				if (calls(cb, fBar))
					return false;
				warp = warp || (cb && isSync(I));
				if (I.isTerminator() || isa<PHINode>(I) || I.mayHaveSideEffects() || I.mayReadOrWriteMemory() ||
				    isSafeToSpeculativelyExecute(&I))
					continue;
				if (!I.isIntDivRem())
					return false;
			}
		if (!warp)
			return false;
		/* its condition, taken where the branch was */
		IRBuilder<> b(br);
		Value *cond = br->getCondition();
		Value *guard = side == 0 ? cond : b.CreateNot(cond);
		for (BasicBlock *X : region) {
			std::vector<Instruction *> todo;
			for (Instruction &I : *X)
				todo.push_back(&I);
			for (Instruction *I : todo) {
				if (isSync(*I) || isa<DbgInfoIntrinsic>(I) || I->isTerminator() || isa<PHINode>(I))
					continue;
				if (auto *II = dyn_cast<IntrinsicInst>(I);
				    II && II->isAssumeLikeIntrinsic())
					continue;
				if (I->isIntDivRem()) {
					IRBuilder<> db(I);
					Value *d = I->getOperand(1);
					I->setOperand(1, db.CreateSelect(guard, d, ConstantInt::get(d->getType(), 1)));
					continue;
				}
				if (!I->mayHaveSideEffects() && !I->mayReadOrWriteMemory())
					continue;
				Value *p;
				Type *t;
				if (simpleAccess(*I, p, t) && runtimeMemory(p))
					continue;
				/* the runtime's own builtins (thread index, context) stay */
				if (auto *cb = dyn_cast<CallBase>(I); cb && isIntrinsic(cb->getCalledFunction()))
					continue;
				Instruction *then = SplitBlockAndInsertIfThen(guard, I, false);
				BasicBlock *tail = I->getParent();
				BasicBlock *head = then->getParent()->getSinglePredecessor();
				I->moveBefore(then);
				if (!I->getType()->isVoidTy() && !I->use_empty()) {
					PHINode *phi = PHINode::Create(I->getType(), 2, "", &tail->front());
					I->replaceAllUsesWith(phi);
					phi->addIncoming(I, then->getParent());
					phi->addIncoming(Constant::getNullValue(I->getType()), head);
				}
			}
		}
		/* the values the branch's paths give F: the skipped warps' own */
		for (PHINode &P : F->phis()) {
			Value *own = P.getIncomingValueForBlock(BB);
			for (unsigned i = 0; i < P.getNumIncomingValues(); i++) {
				BasicBlock *from = P.getIncomingBlock(i);
				if (from == BB)
					continue;
				IRBuilder<> sb(from->getTerminator());
				P.setIncomingValue(i, sb.CreateSelect(guard, P.getIncomingValue(i), own));
			}
		}
		/* every warp in, where warps lie in one row if the condition needs that */
		Value *all = b.getTrue();
		if (rows) {
			Value *ctx = b.CreateCall(fCtx);
			auto dim = [&](unsigned d) {
				return b.CreateLoad(b.getInt32Ty(), b.CreateConstGEP1_64(b.getInt8Ty(), ctx, CTX_BDIM_OFF + 4 * d));
			};
			auto one = [&](Value *v) { return b.CreateICmpEQ(v, b.getInt32(1)); };
			auto by32 = [&](Value *v) { return b.CreateICmpEQ(b.CreateAnd(v, 31), b.getInt32(0)); };
			/* x, y, z: warps in one row, or a 1-D block; x + blockDim.x * y:
			 * warps in one slice of z, or a 2-D block */
			if (rows & WU_ROWS)
				all = b.CreateOr(by32(dim(0)), b.CreateAnd(one(dim(1)), one(dim(2))));
			if (rows & WU_SLICES)
				all = b.CreateAnd(all, b.CreateOr(by32(b.CreateMul(dim(0), dim(1))), one(dim(2))));
		}
		br->setCondition(side == 0 ? b.CreateOr(all, cond) : b.CreateAnd(b.CreateNot(all), cond));
		return true;
	}

	/*
	 * __syncthreads() calls that order nothing go before the kernel is
	 * cut (dropIdleBarriers): between the barriers before such a barrier
	 * and those after it (or the kernel's start and end; loops included),
	 * no access on one side may touch what the other side writes. Every
	 * thread of the side before must go on to it: a warp sync on either
	 * side (its group may run apart), a path that leaves before it (an
	 * early return, a barrier of its own) keep it. A block reduction's last read
	 * of its result before the next one reuses the scratch (`v = s[T];
	 * __syncthreads();` then only global memory) is one: the barrier cost
	 * a region, a pass over the block's threads and its dispatch. Memory
	 * by what an address is made from: a thread's own alloca (private,
	 * never shared); a __shared__ variable (one each; all dynamic ones
	 * one); the kernel's pointer parameters and non-constant globals
	 * (global memory: a parameter never points into the block's
	 * __shared__ variables); anything else (a loaded pointer, a phi of
	 * two, the context's votes and warp exchange) unknown, which a write
	 * may not touch at all. A call that is not pure, a fence or inline
	 * assembly keeps the barrier.
	 */
	enum { MEM_GLOBAL = 1, MEM_SHARED = 2, MEM_UNKNOWN = 3 };
	struct MemUse {
		unsigned kind;
		const Value *obj;	/* the __shared__ variable (MEM_SHARED) */
		bool write;
	};
	/* the memory @p addresses, for dropIdleBarriers: 0 for a thread's own */
	unsigned memKind(Function &K, Value *p, const Value *&obj)
	{
		const Value *o = getUnderlyingObject(p, 32);
		if (auto *II = dyn_cast<IntrinsicInst>(o); II && II->getIntrinsicID() == Intrinsic::threadlocal_address)
			o = getUnderlyingObject(II->getArgOperand(0), 32);
		obj = nullptr;
		if (isa<AllocaInst>(o))
			return 0;
		if (auto *A = dyn_cast<Argument>(o); A && A->getParent() == &K)
			return MEM_GLOBAL;
		if (auto *G = dyn_cast<GlobalVariable>(o)) {
			if (std::find(dynShared.begin(), dynShared.end(), G) != dynShared.end()) {
				obj = dynShared.front();
				return MEM_SHARED;
			}
			if (G->getName().contains("__vgpu_"))
				return MEM_UNKNOWN;	/* the runtime's (the warp exchange: _ZL9__vgpu_wx) */
			if (G->isThreadLocal()) {
				obj = G;
				return MEM_SHARED;
			}
			return G->isConstant() ? 0 : MEM_GLOBAL;
		}
		return MEM_UNKNOWN;
	}
	/* the memory uses from barrier @B back (@back) or on to the syncs
	 * around it, into @out; false where one cannot be told (a call) */
	bool barrierSide(Function &K, Instruction *B, bool back, std::vector<MemUse> &out)
	{
		std::set<BasicBlock *> seen;
		/* a block and where to start in it (null: at its end going back, at its start going on) */
		std::vector<std::pair<BasicBlock *, Instruction *>> work{ { B->getParent(), back ? B->getPrevNode() : B->getNextNode() } };
		bool first = true;
		while (!work.empty()) {
			auto [BB, I] = work.back();
			work.pop_back();
			if (!first && !I)
				I = back ? BB->getTerminator() : &BB->front();
			first = false;
			for (; I; I = back ? I->getPrevNode() : I->getNextNode()) {
				if (isSync(*I)) {
					if (!calls(I, fBar))
						return false;	/* a warp sync: its group runs apart */
					break;
				}
				if (auto *cb = dyn_cast<CallBase>(I)) {
					if (isa<DbgInfoIntrinsic>(cb) || cb->isLifetimeStartOrEnd())
						continue;
					if (auto *II = dyn_cast<IntrinsicInst>(cb);
					    II && (II->getIntrinsicID() == Intrinsic::experimental_noalias_scope_decl ||
						   II->getIntrinsicID() == Intrinsic::assume ||
						   II->getIntrinsicID() == Intrinsic::threadlocal_address))
						continue;
					Function *f = cb->getCalledFunction();
					if ((f && isIntrinsic(f)) || (!cb->isInlineAsm() && pureCall(cb)))
						continue;
					return false;
				}
				if (!I->mayReadOrWriteMemory())
					continue;
				Value *p;
				if (auto *ld = dyn_cast<LoadInst>(I); ld && blockField(ld))
					continue;	/* the block's size, index, the grid's: never written */
				if (auto *rmw = dyn_cast<AtomicRMWInst>(I))
					p = rmw->getPointerOperand();
				else if (auto *cx = dyn_cast<AtomicCmpXchgInst>(I))
					p = cx->getPointerOperand();
				else if (auto *ld = dyn_cast<LoadInst>(I))
					p = ld->getPointerOperand();
				else if (auto *st = dyn_cast<StoreInst>(I))
					p = st->getPointerOperand();
				else
					return false;	/* a fence, va_arg */
				const Value *obj;
				if (const unsigned k = memKind(K, p, obj))
					out.push_back({ k, obj, !isa<LoadInst>(I) });
			}
			if (I)
				continue;	/* a barrier ends this way */
			if (back) {
				for (BasicBlock *pb : predecessors(BB))
					if (seen.insert(pb).second)
						work.push_back({ pb, nullptr });
			} else {
				for (BasicBlock *sb : successors(BB))
					if (seen.insert(sb).second)
						work.push_back({ sb, nullptr });
			}
		}
		/* going back: every thread of what was walked goes on to B, none
		 * leaves it (a return, another barrier on a path of its own) with
		 * accesses B used to order ahead of what follows it */
		if (back)
			for (BasicBlock *b : seen)
				if (b != B->getParent())
					for (BasicBlock *sb : successors(b))
						if (sb != B->getParent() && !seen.count(sb))
							return false;
		return true;
	}
	static bool memConflict(const MemUse &w, const MemUse &a)
	{
		if (w.kind == MEM_UNKNOWN || a.kind == MEM_UNKNOWN)
			return true;
		return w.kind == a.kind && (w.kind == MEM_GLOBAL || w.obj == a.obj);
	}
	/* one at a time: two barriers with nothing between them are each
	 * idle while the other stands */
	unsigned dropIdleBarriers(Function &K)
	{
		unsigned n = 0;
		for (Instruction *I = fBar ? idleBarrier(K) : nullptr; I; I = idleBarrier(K)) {
			I->eraseFromParent();
			n++;
		}
		return n;
	}
	Instruction *idleBarrier(Function &K)
	{
		for (Instruction &I : instructions(K)) {
			if (!calls(&I, fBar) || I.getMetadata("vgpu.cut"))
				continue;
			std::vector<MemUse> before, after;
			if (!barrierSide(K, &I, true, before) || !barrierSide(K, &I, false, after))
				continue;
			bool conflict = false;
			for (const MemUse &x : before)
				for (const MemUse &y : after)
					conflict = conflict || ((x.write || y.write) && memConflict(x, y));
			for (const auto *side : { &before, &after })
				for (const MemUse &u : *side)
					conflict = conflict || (u.write && u.kind == MEM_UNKNOWN);
			if (!conflict)
				return &I;
		}
		return nullptr;
	}

	bool hasBarrier(Function &K)
	{
		for (Instruction &I : instructions(K))
			if (isSync(I))
				return true;
		return false;
	}

	/* the condition of @BB's conditional branch or switch, else null */
	static Value *branchCondition(BasicBlock *BB)
	{
		Instruction *T = BB->getTerminator();
		if (auto *br = dyn_cast<BranchInst>(T); br && br->isConditional())
			return br->getCondition();
		if (auto *sw = dyn_cast<SwitchInst>(T))
			return sw->getCondition();
		return nullptr;
	}

	/*
	 * The blocks that only some threads run when the branch ending @BB
	 * splits them: those reached from it before its paths meet again (its
	 * immediate post-dominator, *@join), into @out. Whether any was new.
	 */
	static bool blocksUnder(BasicBlock *BB, PostDominatorTree &PDT, std::set<BasicBlock *> &out,
				BasicBlock **join = nullptr)
	{
		DomTreeNode *n = PDT.getNode(BB);
		BasicBlock *j = n && n->getIDom() ? n->getIDom()->getBlock() : nullptr;
		bool added = false;
		std::vector<BasicBlock *> work(succ_begin(BB), succ_end(BB));
		while (!work.empty()) {
			BasicBlock *b = work.back();
			work.pop_back();
			if (b == j || !out.insert(b).second)
				continue;
			added = true;
			for (BasicBlock *s2 : successors(b))
				work.push_back(s2);
		}
		if (join)
			*join = j;
		return added;
	}

	/*
	 * Whether the branch ending @BB sends some threads straight to a
	 * return (`if (i >= n) return;`): they take no part in what follows,
	 * so it does not make the rest run in only some threads. Not a loop's
	 * exit: the threads still in the loop run more iterations than those
	 * that left it.
	 */
	static bool earlyReturn(BasicBlock *BB, LoopInfo &LI)
	{
		Loop *in = LI.getLoopFor(BB);
		for (BasicBlock *s2 : successors(BB)) {
			if (in && !in->contains(s2))
				continue;
			BasicBlock *b = s2;
			for (int hops = 0; b && hops < 4; hops++) {
				if (isa<ReturnInst>(b->getTerminator()))
					return !selectsFew(BB, s2);
				bool effects = false;
				for (Instruction &I : *b)
					effects = effects || I.mayHaveSideEffects();
				if (effects)
					break;
				b = b->getSingleSuccessor();
			}
		}
		return false;
	}

	/*
	 * Whether the branch ending @BB lets only a few threads go on (not to
	 * successor @ret, the way out): `if (threadIdx.x == 0)`, `if (lane ==
	 * 0)`, `if (tid < 32)` at a kernel's end, where the others return. Not
	 * an early return then: a loop the few run alone is not the block's.
	 * Going on while below a constant of at most 32, or equal to one.
	 */
	static bool selectsFew(BasicBlock *BB, BasicBlock *ret)
	{
		auto *br = dyn_cast<BranchInst>(BB->getTerminator());
		auto *cmp = br && br->isConditional() ? dyn_cast<ICmpInst>(br->getCondition()) : nullptr;
		if (!cmp)
			return false;
		CmpInst::Predicate p = br->getSuccessor(0) == ret ? cmp->getInversePredicate() : cmp->getPredicate();
		auto *c = dyn_cast<ConstantInt>(cmp->getOperand(1));
		if (!c)
			return false;
		if (p == CmpInst::ICMP_EQ)
			return true;
		return (p == CmpInst::ICMP_ULT || p == CmpInst::ICMP_SLT || p == CmpInst::ICMP_ULE || p == CmpInst::ICMP_SLE) &&
		       c->getValue().sle(32);
	}

	/*
	 * Which values of kernel @K (inlined, in SSA form) may differ between
	 * the threads of a block (into @div), and which blocks only some of
	 * them may run (into @divBlocks): the thread index and what depends on
	 * it, through data and through branches on it (the blocks between such
	 * a branch and where its paths meet, the phis there), loads of private
	 * memory and atomics. A branch whose one side only returns (`if (i >= n)
	 * return;`) does not split the rest: the threads that return take no
	 * part in later barriers (unless it lets only a few go on: selectsFew). Values leaving a loop with a divergent exit
	 * are divergent outside it. Memory read at a uniform address is taken
	 * as uniform (a race otherwise).
	 */
	void divergence(Function &K, DominatorTree &DT, PostDominatorTree &PDT, LoopInfo &LI, std::set<Value *> &div,
			std::set<BasicBlock *> &divBlocks)
	{
		auto seed = [&](Instruction &I) {
			if (auto *cb = dyn_cast<CallBase>(&I)) {
				Function *f = cb->getCalledFunction();
				if (f && (f == fTid[0] || f == fTid[1] || f == fTid[2] || f == fLin))
					return true;
				if (isIntrinsic(f) || pureCall(cb))
					return false;
				return !cb->onlyReadsMemory() || cb->isConvergent();
			}
			if (auto *L = dyn_cast<LoadInst>(&I))
				return L->isVolatile() || L->isAtomic();
			/* a private variable's address: each thread's own, so
			 * what is loaded through it differs (also through a pointer
			 * selected, swapped or kept in a variable) */
			if (isa<AllocaInst>(&I))
				return true;
			return isa<AtomicRMWInst>(&I) || isa<AtomicCmpXchgInst>(&I);
		};
		for (Instruction &I : instructions(K))
			if (seed(I))
				div.insert(&I);
		for (bool changed = true; changed;) {
			changed = false;
			for (BasicBlock &BB : K) {
				Value *cond = branchCondition(&BB);
				if (cond && div.count(cond) && !divBlocks.count(&BB)) {
					const bool ret = earlyReturn(&BB, LI);
					BasicBlock *join = nullptr;
					if (!ret)
						changed |= blocksUnder(&BB, PDT, divBlocks, &join);
					if (join && !ret)
						for (PHINode &P : join->phis())
							changed |= div.insert(&P).second;
					/* a loop left by a thread-dependent branch: its values differ outside */
					if (Loop *L = LI.getLoopFor(&BB))
						for (BasicBlock *lb : L->blocks())
							for (Instruction &I : *lb)
								for (User *U : I.users())
									if (auto *UI = dyn_cast<Instruction>(U); UI && !L->contains(UI))
										changed |= div.insert(UI).second;
				}
				for (Instruction &I : BB) {
					if (div.count(&I))
						continue;
					bool d = isa<PHINode>(&I) && divBlocks.count(&BB);
					for (Value *op : I.operands())
						d = d || div.count(op);
					if (d) {
						div.insert(&I);
						changed = true;
					}
				}
			}
		}
	}

	/* the instructions of loop @L unrolled whole (its subloops too); huge when a trip count is not constant */
	static uint64_t unrolledSize(Loop *L, ScalarEvolution &SE, LoopInfo &LI)
	{
		const uint64_t trips = SE.getSmallConstantTripCount(L);
		if (!trips)
			return UINT32_MAX;
		uint64_t own = 0;
		for (BasicBlock *b : L->blocks())
			if (LI.getLoopFor(b) == L)
				own += b->size();
		for (Loop *S : L->getSubLoops())
			own += unrolledSize(S, SE, LI);
		return std::min<uint64_t>(trips * own, UINT32_MAX);
	}
	/* a loop of vgpu_cuda.h's (its header's code comes from there) */
	static bool runtimeLoop(Loop *L)
	{
		for (Instruction &I : *L->getHeader())
			if (DILocation *l = I.getDebugLoc().get())
				return l->getFilename().endswith("vgpu_cuda.h");
		return false;
	}

	/* whether LLVM will unroll loop @L whole: constant trip counts, and `#pragma unroll` or a small body */
	static bool unrollsWhole(Loop *L, ScalarEvolution &SE, LoopInfo &LI)
	{
		if (!SE.getSmallConstantTripCount(L))
			return false;
		for (Loop *S : L->getSubLoops())
			if (!unrollsWhole(S, SE, LI))
				return false;
		const uint64_t size = unrolledSize(L, SE, LI);
		if (findOptionMDForLoop(L, "llvm.loop.unroll.full") || findOptionMDForLoop(L, "llvm.loop.unroll.enable"))
			return size <= 20000;
		return size <= 400;
	}

	/*
	 * Whether loop @L is a strided loop whose trips differ between threads
	 * only by where each starts: `for (i = start; i < n; i += stride)` (a
	 * grid-, block- or warp-stride loop), n and stride the same in every
	 * thread; innermost, left at its head only. @P: its index.
	 */
	bool stridedLoop(Loop *L, const std::set<Value *> &div, PHINode *&P)
	{
		BasicBlock *H = L->getHeader(), *pre = L->getLoopPreheader(), *latch = L->getLoopLatch();
		if (!L->isInnermost() || L->getExitingBlock() != H || !latch || !pre)
			return false;
		auto *br = dyn_cast<BranchInst>(H->getTerminator());
		auto *cmp = br && br->isConditional() ? dyn_cast<ICmpInst>(br->getCondition()) : nullptr;
		if (!cmp || cmp->getParent() != H || !cmp->hasOneUse() || !L->contains(br->getSuccessor(0)) || !div.count(cmp) ||
		    (cmp->getPredicate() != CmpInst::ICMP_SLT && cmp->getPredicate() != CmpInst::ICMP_ULT))
			return false;
		P = dyn_cast<PHINode>(cmp->getOperand(0));
		Value *bound = cmp->getOperand(1);
		/* a bound computed in the head from values set before the loop
		 * (`c < cols / 4`, before LICM ran): computed once, before it */
		if (auto *bi = dyn_cast<Instruction>(bound); bi && bi->getParent() == H && !div.count(bi)) {
			bool changed = false;
			L->makeLoopInvariant(bi, changed, pre->getTerminator());
		}
		if (!P || P->getParent() != H || !P->getType()->isIntegerTy() || P->getNumIncomingValues() != 2 ||
		    div.count(bound) || (isa<Instruction>(bound) && L->contains(cast<Instruction>(bound))))
			return false;
		auto *inc = dyn_cast<BinaryOperator>(P->getIncomingValueForBlock(latch));
		if (!inc || inc->getOpcode() != Instruction::Add || (inc->getOperand(0) != P && inc->getOperand(1) != P))
			return false;
		/* the stride: from outside the loop, or computed again before it
		 * (blockDim.x * gridDim.x). Grid-, block- and warp-stride loops
		 * alike: once the trips came without a vote (startBase), the index
		 * stopped living on per thread and a last iteration stopped
		 * counting as leaving early, rows of a few hundred elements and
		 * tiles' aprons paid for their regions (layernorm_cg 1.4x faster,
		 * where it had been 1.3x slower when block-stride loops first
		 * became these) */
		Value *step = inc->getOperand(inc->getOperand(0) == P ? 1 : 0);
		unsigned budget = 16;
		std::map<Value *, bool> memo;
		return !div.count(step) &&
		       (!(isa<Instruction>(step) && L->contains(cast<Instruction>(step))) || recomputable(step, budget, memo));
	}

	/*
	 * The part of @start that is the same in every thread when @start is
	 * that plus the thread's index (threadIdx.x or the linear index, each 0
	 * in the block's first thread) without wrapping: then the first thread
	 * starts lowest and has the most trips (a block- or grid-stride loop).
	 * Null otherwise.
	 */
	Value *startBase(Value *start, const std::set<Value *> &div)
	{
		auto isTid = [&](Value *v) {
			if (auto *c = dyn_cast<CastInst>(v); c && (isa<ZExtInst>(c) || isa<TruncInst>(c) || isa<SExtInst>(c)))
				v = c->getOperand(0);
			return calls(v, fTid[0]) || calls(v, fLin);
		};
		if (isTid(start))
			return ConstantInt::get(start->getType(), 0);
		auto *add = dyn_cast<BinaryOperator>(start);
		if (!add || add->getOpcode() != Instruction::Add || !add->hasNoSignedWrap())
			return nullptr;
		for (int i = 0; i < 2; i++)
			if (isTid(add->getOperand(i)) && !div.count(add->getOperand(1 - i)))
				return add->getOperand(1 - i);
		return nullptr;
	}

	/*
	 * Strided loop @L (index @P) as a loop that every thread of the block
	 * runs alike: the most trips any thread has (the first thread's where
	 * @base, startBase, says it has the most; else a block maximum, one
	 * barrier before the loop) bounds a block-uniform counter k; a thread
	 * runs the body at k only while its own index is in range, with the
	 * index computed as start + k * stride (affine in the thread when the
	 * start is: contiguous vector accesses once cutUniformLoops makes each
	 * iteration a region). A thread out of range keeps its variables (the
	 * skip path gives the header its own values back).
	 */
	void uniformStrided(Loop *L, PHINode *P, Function *vmax, Value *base)
	{
		BasicBlock *H = L->getHeader(), *pre = L->getLoopPreheader(), *latch = L->getLoopLatch();
		auto *br = cast<BranchInst>(H->getTerminator());
		auto *cmp = cast<ICmpInst>(br->getCondition());
		const bool sgn = cmp->getPredicate() == CmpInst::ICMP_SLT;
		auto *inc = cast<BinaryOperator>(P->getIncomingValueForBlock(latch));
		Value *start = P->getIncomingValueForBlock(pre), *n = cmp->getOperand(1);
		Value *step = inc->getOperand(inc->getOperand(0) == P ? 1 : 0);
		if (auto *si = dyn_cast<Instruction>(step); si && L->contains(si)) {
			std::map<Value *, Value *> done;
			step = recompute(step, pre->getTerminator(), done);
		}
		Type *T = P->getType();
		/* trips = start < n ? (n - start - 1) / step + 1 : 0 (no overflow near the
		 * type's end), at most 2^32 - 2 (step < 1 counts as 1). An index of 32
		 * bits: the block's largest distance n - start (it fits in 32 bits
		 * unsigned), divided once after the vote, not a division a thread
		 * (the vectoriser leaves those scalar: a 768-element row was 2.5x
		 * slower than the loop left alone) */
		IRBuilder<> b(pre->getTerminator());
		Value *one = ConstantInt::get(T, 1);
		Value *st = b.CreateSelect(b.CreateICmpSLT(step, one), one, step);
		Value *in = b.CreateICmp(cmp->getPredicate(), start, n);
		Value *trips;
		CallInst *most = nullptr;
		/* the first thread's trips, where it has the most (startBase, a
		 * signed bound): no vote, no barrier before the loop. A thread that
		 * returned before it may leave the block a trip or more with no
		 * thread in range, each thread's guard false */
		const bool first = base && sgn;
		Value *from = first ? base : start;
		if (first)
			in = b.CreateICmp(cmp->getPredicate(), base, n);
		if (T->getIntegerBitWidth() <= 32) {
			Type *i64 = b.getInt64Ty();
			Value *d = b.CreateZExt(b.CreateSelect(in, b.CreateSub(n, from), ConstantInt::get(T, 0)), i64);
			Value *lim = b.getInt64(0xfffffffeu);
			Value *dl = b.CreateTrunc(b.CreateSelect(b.CreateICmpUGT(d, lim), lim, d), b.getInt32Ty());
			Value *m = b.CreateZExt(first ? dl : (most = b.CreateCall(vmax, { dl })), i64);
			Value *t = b.CreateAdd(b.CreateUDiv(b.CreateSub(m, b.getInt64(1)), b.CreateZExt(st, i64)), b.getInt64(1));
			trips = b.CreateTrunc(b.CreateSelect(b.CreateICmpEQ(m, b.getInt64(0)), b.getInt64(0), t), T);
		} else {
			Value *d = b.CreateSub(b.CreateSub(n, from), one);
			Value *t = b.CreateAdd(sgn ? b.CreateSDiv(d, st) : b.CreateUDiv(d, st), one);
			t = b.CreateSelect(in, t, ConstantInt::get(T, 0));
			Value *lim = ConstantInt::get(T, 0xfffffffeu);
			Value *tl = b.CreateTrunc(b.CreateSelect(b.CreateICmpUGT(t, lim), lim, t), b.getInt32Ty());
			trips = b.CreateZExt(first ? tl : (most = b.CreateCall(vmax, { tl })), T);
		}
		/* the counter k and the new head: k < trips (the same in every
		 * thread), then a guard on the thread's own index; the body's end
		 * and the skip path meet in one latch, so that k's update lies
		 * where every thread passes (a uniform value for the lowering) */
		PHINode *k = PHINode::Create(T, 2, "k", &H->front());
		BasicBlock *body = br->getSuccessor(0), *exit = br->getSuccessor(1);
		BasicBlock *guard = BasicBlock::Create(C, H->getName() + ".mine", H->getParent(), body);
		BasicBlock *skip = BasicBlock::Create(C, H->getName() + ".done", H->getParent(), body);
		BasicBlock *join = BasicBlock::Create(C, H->getName() + ".next", H->getParent(), body);
		IRBuilder<> g(guard);
		Value *idx = g.CreateAdd(start, g.CreateMul(k, step), P->getName() + ".k");
		Value *knext = g.CreateAdd(k, one, "k.next");
		g.CreateCondBr(cmp, body, skip);
		cmp->moveBefore(guard->getTerminator());
		/* the guard on start + k * step: the index itself need not live on
		 * per thread (it is that, for a thread in range, and stays out of
		 * range once out: step >= 1 as for the trips) */
		cmp->setOperand(0, idx);
		BranchInst::Create(join, skip);
		BranchInst::Create(H, join);
		IRBuilder<> hb(br);
		hb.CreateCondBr(hb.CreateICmpULT(k, trips), guard, exit);
		br->eraseFromParent();
		for (PHINode &Q : body->phis())
			Q.replaceIncomingBlockWith(H, guard);
		/* the body's uses of the index: start + k * step (the same value for a thread in range) */
		std::vector<Use *> uses;
		for (Use &U : P->uses())
			if (auto *I = dyn_cast<Instruction>(U.getUser()); I && I != cmp && I->getParent() != H && L->contains(I))
				uses.push_back(&U);
		for (Use *U : uses)
			U->set(idx);
		latch->getTerminator()->replaceUsesOfWith(H, join);
		for (PHINode &Q : H->phis()) {
			if (&Q == k)
				continue;
			PHINode *J = PHINode::Create(Q.getType(), 2, Q.getName() + ".next", &join->front());
			J->addIncoming(Q.getIncomingValueForBlock(latch), latch);
			J->addIncoming(&Q, skip);
			Q.removeIncomingValue(latch, false);
			Q.addIncoming(J, join);
		}
		k->addIncoming(ConstantInt::get(T, 0), pre);
		k->addIncoming(knext, join);
		/* the thread's own index (its update now start + k * step plus
		 * step), used by nothing but itself: it would live on per thread,
		 * a slot loaded and stored an iteration once the loop is cut */
		if (PHINode *J = dyn_cast<PHINode>(P->getIncomingValueForBlock(join));
		    J && J->getParent() == join && J->hasOneUse() && P->hasOneUse() && inc->hasOneUse() &&
		    J->getIncomingValueForBlock(latch) == inc && J->getIncomingValueForBlock(skip) == P) {
			Value *u = PoisonValue::get(T);
			P->replaceAllUsesWith(u);
			J->replaceAllUsesWith(u);
			inc->replaceAllUsesWith(u);
			J->eraseFromParent();
			inc->eraseFromParent();
			P->eraseFromParent();
		}
		if (most) {
			InlineFunctionInfo ifi;
			InlineFunction(*most, ifi);
		}
	}

	/* cuda.h's kinds of shuffle steps (its __VGPU_K*), the types and operations of its reductions (__VGPU_R*) */
	enum { K_XOR_UP, K_XOR_DOWN, K_SHFL_DOWN, K_SHFL_UP };
	enum { R_I32 = 1, R_U32, R_F32, R_I64, R_U64, R_F64 };
	enum { R_ADD, R_MIN, R_MAX, R_AND, R_OR, R_XOR, R_FMAX, R_FMIN };

	/* @f is cuda.h's __shfl_down_sync<T> (K_SHFL_DOWN), __shfl_xor_sync<T> (K_XOR_DOWN) or
	 * __shfl_up_sync<T> (K_SHFL_UP), else -1 */
	static int shflKind(const Function *f)
	{
		if (!f)
			return -1;
		StringRef n = f->getName();	/* (static in cuda.h: _ZL) */
		if (!n.consume_front("_ZL") && !n.consume_front("_Z"))
			return -1;
		return n.startswith("16__shfl_down_syncI") ? K_SHFL_DOWN : n.startswith("15__shfl_xor_syncI") ? K_XOR_DOWN :
		       n.startswith("14__shfl_up_syncI") ? K_SHFL_UP : -1;
	}

	/*
	 * An integer minimum or maximum as the code of `a < b ? b : a` before
	 * SimplifyCFG (cuda.h's min and max inlined, a user's own): @X a phi
	 * of @v and @r from the two sides of a branch on their comparison,
	 * the sides empty. The reduction code's op and whether signed, else -1;
	 * the comparison onto @keep.
	 */
	static int minMaxDiamond(Instruction *X, Value *v, Value *r, bool &sgn, SmallVectorImpl<Instruction *> &keep)
	{
		auto *P = dyn_cast<PHINode>(X);
		if (!P || P->getNumIncomingValues() != 2 || !P->getType()->isIntegerTy())
			return -1;
		BasicBlock *b0 = P->getIncomingBlock(0), *b1 = P->getIncomingBlock(1);
		BasicBlock *h = b0->getSinglePredecessor();
		auto *br = h ? dyn_cast<BranchInst>(h->getTerminator()) : nullptr;
		auto *cmp = br && br->isConditional() ? dyn_cast<ICmpInst>(br->getCondition()) : nullptr;
		if (!cmp || b1->getSinglePredecessor() != h || b0 == b1 ||
		    !((br->getSuccessor(0) == b0 && br->getSuccessor(1) == b1) ||
		      (br->getSuccessor(0) == b1 && br->getSuccessor(1) == b0)))
			return -1;
		/* the sides: nothing but their branch to the phi's block */
		for (BasicBlock *b : { b0, b1 })
			if (b->size() != 1 || b->getSingleSuccessor() != P->getParent())
				return -1;
		Value *t = P->getIncomingValueForBlock(br->getSuccessor(0));
		Value *f = P->getIncomingValueForBlock(br->getSuccessor(1));
		Value *c0 = cmp->getOperand(0), *c1 = cmp->getOperand(1);
		if (!((t == v && f == r) || (t == r && f == v)))
			return -1;
		/* c0 pred c1 ? c0 : c1 */
		CmpInst::Predicate pr = cmp->getPredicate();
		if (t == c1 && f == c0)
			pr = CmpInst::getSwappedPredicate(pr);
		else if (!(t == c0 && f == c1))
			return -1;
		sgn = ICmpInst::isSigned(pr);
		int op = -1;
		switch (pr) {
		case CmpInst::ICMP_SGT: case CmpInst::ICMP_SGE: case CmpInst::ICMP_UGT: case CmpInst::ICMP_UGE:
			op = R_MAX;
			break;
		case CmpInst::ICMP_SLT: case CmpInst::ICMP_SLE: case CmpInst::ICMP_ULT: case CmpInst::ICMP_ULE:
			op = R_MIN;
			break;
		default:
			return -1;
		}
		keep.push_back(cmp);
		return op;
	}

	/* the reduction code (type | op << 3) of v' = @X(@v, @r) or X(r, v), else
	 * -1; a minimum's or maximum's comparison onto @keep */
	int reduceOp(Instruction *X, Value *v, Value *r, SmallVectorImpl<Instruction *> &keep)
	{
		Type *T = v->getType();
		const bool f32 = T->isFloatTy(), f64 = T->isDoubleTy(), i32 = T->isIntegerTy(32), i64 = T->isIntegerTy(64);
		const int fty = f32 ? R_F32 : f64 ? R_F64 : 0, uty = i32 ? R_U32 : i64 ? R_U64 : 0,
			  sty = i32 ? R_I32 : i64 ? R_I64 : 0;
		int op = -1, ty = 0;
		bool sgn = false;
		if ((op = minMaxDiamond(X, v, r, sgn, keep)) >= 0) {
			ty = sgn ? sty : uty;
			return ty ? ty | op << 3 : -1;
		}
		if (X->getNumOperands() < 2)
			return -1;
		Value *a = X->getOperand(0), *b = X->getOperand(1);
		if (!((a == v && b == r) || (a == r && b == v)))
			return -1;
		if (auto *bo = dyn_cast<BinaryOperator>(X)) {
			switch (bo->getOpcode()) {
			case Instruction::FAdd: op = R_ADD, ty = fty; break;
			case Instruction::Add: op = R_ADD, ty = uty; break;
			case Instruction::And: op = R_AND, ty = uty; break;
			case Instruction::Or: op = R_OR, ty = uty; break;
			case Instruction::Xor: op = R_XOR, ty = uty; break;
			default: break;
			}
		} else if (auto *II = dyn_cast<IntrinsicInst>(X)) {
			switch (II->getIntrinsicID()) {
			case Intrinsic::maxnum: op = R_FMAX, ty = fty; break;
			case Intrinsic::minnum: op = R_FMIN, ty = fty; break;
			case Intrinsic::smax: op = R_MAX, ty = sty; break;
			case Intrinsic::smin: op = R_MIN, ty = sty; break;
			case Intrinsic::umax: op = R_MAX, ty = uty; break;
			case Intrinsic::umin: op = R_MIN, ty = uty; break;
			default: break;
			}
		} else if (auto *ci = dyn_cast<CallInst>(X); ci && ci->getCalledFunction() && ci->arg_size() == 2) {
			StringRef n = ci->getCalledFunction()->getName();
			if (n == "fmaxf" || n == "fmax")
				op = R_FMAX, ty = fty;
			else if (n == "fminf" || n == "fmin")
				op = R_FMIN, ty = fty;
		}
		/* the driver computes op(v, r): maxNum and minNum may give
		 * either zero of +0 and -0 by the operands' order */
		if ((op == R_FMAX || op == R_FMIN) && a != v)
			return -1;
		return op >= 0 && ty ? ty | op << 3 : -1;
	}

	/* @g is threadIdx.x & 31 or threadIdx.x % 32 (a lane where the block's
	 * rows are whole warps or it has one row); its instructions onto @chain */
	static bool laneOfX(Value *g, SmallVectorImpl<Instruction *> &chain)
	{
		auto *bo = dyn_cast<BinaryOperator>(g);
		auto *k = bo ? dyn_cast<ConstantInt>(bo->getOperand(1)) : nullptr;
		const unsigned op = bo ? bo->getOpcode() : 0;
		if (!k || !bo->getType()->isIntegerTy(32) ||
		    !((op == Instruction::And && k->getZExtValue() == 31) ||
		      ((op == Instruction::URem || op == Instruction::SRem) && k->getZExtValue() == 32)))
			return false;
		/* (threadIdx.x < 1024: srem is urem) */
		auto *ci = dyn_cast<CallInst>(bo->getOperand(0));
		if (!ci || !ci->getCalledFunction() || ci->getCalledFunction()->getName() != "__vgpu_tid_x")
			return false;
		chain.push_back(bo);
		chain.push_back(ci);
		return true;
	}

	/*
	 * A warp scan's step (`if (lane >= d) v += __shfl_up_sync(mask, v,
	 * d)`): @X, the value at the end of a trip, is op(@Pv, shuffled) where
	 * the lane (laneOfX) is at least the offset @Po, else @Pv; a select, or
	 * a phi where the two ways of a branch on that test meet (each way
	 * straight there or through a block of nothing but the operation, or
	 * of an integer max() or min(): its compare and two empty ways).
	 * @A gets the operation, @keep the test and the lane's instructions in
	 * @L.
	 */
	bool scanStep(Loop *L, DominatorTree &DT, PHINode *Pv, PHINode *Po, Instruction *X, Instruction *&A,
		      SmallVectorImpl<Instruction *> &keep)
	{
		/* @c tests lane >= Po (@ge) or lane < Po */
		auto laneTest = [&](Value *c, bool &ge) {
			auto *ic = dyn_cast<ICmpInst>(c);
			if (!ic)
				return false;
			Value *a = ic->getOperand(0);
			CmpInst::Predicate p = ic->getPredicate();
			if (ic->getOperand(1) != Po) {
				if (a != Po)
					return false;
				a = ic->getOperand(1);
				p = ICmpInst::getSwappedPredicate(p);
			}
			SmallVector<Instruction *, 2> chain;
			if (!laneOfX(a, chain))
				return false;
			if (p == ICmpInst::ICMP_UGE || p == ICmpInst::ICMP_SGE)
				ge = true;
			else if (p == ICmpInst::ICMP_ULT || p == ICmpInst::ICMP_SLT)
				ge = false;
			else
				return false;
			keep.push_back(ic);
			for (Instruction *I : chain)
				if (L->contains(I))
					keep.push_back(I);
			return true;
		};
		bool ge = false;
		Value *stepped = nullptr, *kept = nullptr;
		if (auto *sel = dyn_cast<SelectInst>(X)) {
			if (!laneTest(sel->getCondition(), ge))
				return false;
			stepped = ge ? sel->getTrueValue() : sel->getFalseValue();
			kept = ge ? sel->getFalseValue() : sel->getTrueValue();
		} else if (auto *P = dyn_cast<PHINode>(X); P && P->getNumIncomingValues() == 2) {
			BasicBlock *E = P->getParent();
			DomTreeNode *n = DT.getNode(E);
			BasicBlock *D = n && n->getIDom() ? n->getIDom()->getBlock() : nullptr;
			auto *br = D ? dyn_cast<BranchInst>(D->getTerminator()) : nullptr;
			if (!br || !br->isConditional() || !L->contains(D) || !laneTest(br->getCondition(), ge))
				return false;
			/* the block each way enters E from */
			BasicBlock *from[2];
			for (unsigned i = 0; i < 2; i++) {
				BasicBlock *s = br->getSuccessor(i);
				from[i] = s == E ? D : s;
				if (s == E)
					continue;
				auto *j = dyn_cast<BranchInst>(s->getTerminator());
				if (s->getSinglePredecessor() != D || !j)
					return false;
				/* an integer max() or min() there: its compare's two
				 * empty ways meet in a block that goes on to E (the
				 * operation, a phi there: minMaxDiamond) */
				if (j->isConditional()) {
					BasicBlock *a = j->getSuccessor(0), *b = j->getSuccessor(1);
					BasicBlock *m = a->getSingleSuccessor();
					if (a == b || !m || b->getSingleSuccessor() != m || a->size() != 1 || b->size() != 1 ||
					    a->getSinglePredecessor() != s || b->getSinglePredecessor() != s ||
					    m->getSingleSuccessor() != E || pred_size(m) != 2)
						return false;
					from[i] = m;
					continue;
				}
				if (j->getSuccessor(0) != E)
					return false;
			}
			if (from[0] == from[1] || P->getBasicBlockIndex(from[0]) < 0 || P->getBasicBlockIndex(from[1]) < 0)
				return false;
			stepped = P->getIncomingValueForBlock(from[ge ? 0 : 1]);
			kept = P->getIncomingValueForBlock(from[ge ? 1 : 0]);
		} else
			return false;
		A = dyn_cast<Instruction>(stepped);
		return kept == Pv && A && L->contains(A);
	}

	/*
	 * A warp's reduction by a loop of shuffles, as CUDA code writes it
	 * (`for (o = 16; o > 0; o >>= 1) v += __shfl_down_sync(mask, v, o)`,
	 * or v = fmaxf(v, __shfl_xor_sync(mask, v, o)), o from 16 down or from
	 * 1 up), and a warp's inclusive scan (`for (o = 1; o < 32; o <<= 1)
	 * { t = __shfl_up_sync(mask, v, o); if (lane >= o) v += t; }`, lane
	 * threadIdx.x & 31 or % 32: scanStep), is one warp sync where each
	 * trip was one (a pass over the
	 * block's threads each): cuda.h's __vgpu_warp_steps publishes v, and
	 * the driver runs the loop's steps on each warp's 32 values as vectors,
	 * each lane getting what its own trips would have made, bit for bit
	 * (the same operations in the same order; a lane whose source is past
	 * the warp or the block gets its own value, as the shuffle gives it).
	 * Found in @K after inlining with the shuffles kept as calls (the
	 * loop then nothing but the two variables, the call, the operation,
	 * the offset's step and its test; a scan's lane and test): the offsets
	 * by running the step and the test on constants, at most 5 trips,
	 * powers of two down to 1 (or from 1 up, for xor; from 1 up, for a
	 * scan); width 32; the mask the same in every trip; the
	 * value a 4- or 8-byte integer, float or double, the operation +, &,
	 * |, ^, integer min and max (an intrinsic, or a compare and its two
	 * empty ways meeting in a phi: minMaxDiamond), fmaxf, fminf. Returns
	 * whether any.
	 */
	static bool keptShfl(Function &K)
	{
		for (Instruction &I : instructions(K))
			if (auto *cb = dyn_cast<CallBase>(&I); cb && shflKind(cb->getCalledFunction()) >= 0)
				return true;
		return false;
	}

	bool shuffleLoops(Function &K)
	{
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(K);
		const DataLayout &DL = M.getDataLayout();
		Function *fSteps = get("__vgpu_warp_steps");
		unsigned found = 0;
		for (Loop *L : LI.getLoopsInPreorder()) {
			/* (the block before: where the loop is entered from, made a block of its own below) */
			BasicBlock *pre = L->getLoopPredecessor(), *H = L->getHeader(), *latch = L->getLoopLatch(),
				   *exiting = L->getExitingBlock(), *exit = L->getExitBlock();
			if (!fSteps || !L->getSubLoops().empty() || !pre || !latch || !exiting || !exit ||
			    (exiting != H && exiting != latch))
				continue;
			CallInst *call = nullptr;
			unsigned other = 0;
			for (BasicBlock *b : L->blocks())
				for (Instruction &I : *b)
					if (auto *ci = dyn_cast<CallInst>(&I); ci && shflKind(ci->getCalledFunction()) >= 0)
						other += call ? 1 : 0, call = call ? call : ci;
			if (!call || other || call->arg_size() != 4)
				continue;
			const int kind0 = shflKind(call->getCalledFunction());
			auto *Pv = dyn_cast<PHINode>(call->getArgOperand(1));
			auto *Po = dyn_cast<PHINode>(call->getArgOperand(2));
			auto *w = dyn_cast<ConstantInt>(call->getArgOperand(3));
			if (!Pv || !Po || Pv->getParent() != H || Po->getParent() != H || !w || w->getZExtValue() != 32 ||
			    !L->isLoopInvariant(call->getArgOperand(0)) || !Po->getType()->isIntegerTy(32))
				continue;
			/* tested before the trip's call (the header, not also the latch) or after it */
			const bool headTest = exiting == H && H != latch;
			unsigned nphi = 0;
			for (PHINode &P : H->phis())
				(void)P, nphi++;
			auto *X = dyn_cast<Instruction>(Pv->getIncomingValueForBlock(latch));
			auto *U = dyn_cast<BinaryOperator>(Po->getIncomingValueForBlock(latch));
			auto *c0 = dyn_cast<ConstantInt>(Po->getIncomingValueForBlock(pre));
			auto *bi = dyn_cast<BranchInst>(exiting->getTerminator());
			auto *cmp = bi && bi->isConditional() ? dyn_cast<ICmpInst>(bi->getCondition()) : nullptr;
			if (nphi != 2 || !X || !L->contains(X) || !U || !c0 || !cmp || U->getOperand(0) != Po ||
			    !isa<ConstantInt>(U->getOperand(1)) || !isa<ConstantInt>(cmp->getOperand(1)) ||
			    (cmp->getOperand(0) != Po && cmp->getOperand(0) != U) ||
			    (headTest && cmp->getOperand(0) != Po))
				continue;
			/* (a scan's step: the operation A under the lane's test, X the value either way) */
			DominatorTree &DT = FAM.getResult<DominatorTreeAnalysis>(K);
			Instruction *A = X;
			SmallVector<Instruction *, 4> keep;
			if (kind0 == K_SHFL_UP && !scanStep(L, DT, Pv, Po, X, A, keep))
				continue;
			const int rcode = reduceOp(A, Pv, call, keep);
			if (rcode < 0)
				continue;
			/* nothing else in the loop; the call and the operation run every trip */
			bool clean = true;
			for (BasicBlock *b : L->blocks())
				for (Instruction &I : *b)
					clean = clean && (&I == call || &I == X || &I == A || &I == U || &I == cmp || &I == Pv ||
							  &I == Po || is_contained(keep, &I) || isa<BranchInst>(&I) ||
							  isa<DbgInfoIntrinsic>(&I));
			if (!clean || !DT.dominates(call->getParent(), latch) || !DT.dominates(X->getParent(), latch))
				continue;
			/* the offsets: the test and the step on constants */
			const bool stayTrue = L->contains(bi->getSuccessor(0));
			auto eval = [&](Instruction *I, Constant *a) {
				return ConstantFoldBinaryOpOperands(I->getOpcode(), a, cast<Constant>(I->getOperand(1)), DL);
			};
			auto stays = [&](Constant *a) {
				Constant *t = ConstantFoldCompareInstOperands(cmp->getPredicate(), a, cast<Constant>(cmp->getOperand(1)), DL);
				auto *ti = dyn_cast_or_null<ConstantInt>(t);
				return ti ? (int)(ti->isOne() == stayTrue) : -1;
			};
			std::vector<uint64_t> offs;
			Constant *o = c0;
			bool ok = true;
			for (int trip = 0; ok && trip < 6; trip++) {
				if (headTest) {
					const int s2 = stays(o);
					if (s2 <= 0) {
						ok = s2 == 0;
						break;
					}
				}
				auto *oi = dyn_cast<ConstantInt>(o);
				if (!oi) {
					ok = false;
					break;
				}
				offs.push_back(oi->getZExtValue());
				Constant *next = eval(U, o);
				if (!next) {
					ok = false;
					break;
				}
				if (!headTest) {
					const int s2 = stays(cmp->getOperand(0) == U ? next : o);
					if (s2 <= 0) {
						ok = s2 == 0;
						break;
					}
				}
				o = next;
			}
			const unsigned n = offs.size();
			bool down = n >= 1 && n <= 5, up = down && (kind0 == K_XOR_DOWN || kind0 == K_SHFL_UP);
			for (unsigned i = 0; ok && i < n; i++) {
				down = down && offs[i] == 1ull << (n - 1 - i);
				up = up && offs[i] == 1ull << i;
			}
			/* (a scan's offsets from 1 up) */
			if (!ok || !(down || up) || offs.size() > 5 || (kind0 == K_SHFL_UP && !up))
				continue;
			const int kind = kind0 == K_SHFL_UP ? K_SHFL_UP : up ? K_XOR_UP : kind0;
			/* the value left after the loop: Pv where the header tests, X where the latch does */
			Value *last = headTest ? (Value *)Pv : (Value *)X;
			keep.append({ (Instruction *)Pv, X, A, (Instruction *)U, (Instruction *)Po, (Instruction *)call });
			for (Instruction *I : keep)
				for (User *u : I->users())
					if (auto *UI = dyn_cast<Instruction>(u); UI && !L->contains(UI) && I != last)
						ok = false;
			for (PHINode &P : exit->phis())
				ok = ok && P.getIncomingValueForBlock(exiting) == last;
			if (!ok)
				continue;
			/* the loop goes; on the way in, its steps as one warp sync */
			Value *v0 = Pv->getIncomingValueForBlock(pre);
			pre = SplitEdge(pre, H, &DT, &LI);
			IRBuilder<> b(pre->getTerminator());
			Type *T = Pv->getType(), *i64 = b.getInt64Ty();
			Value *bits = b.CreateZExt(b.CreateBitCast(v0, b.getIntNTy(DL.getTypeSizeInBits(T))), i64);
			const unsigned code = (unsigned)rcode | (n << 6) | ((unsigned)kind << 9);
			Value *r = b.CreateCall(fSteps, { call->getArgOperand(0), bits, b.getInt32(code) });
			Value *res = b.CreateBitCast(b.CreateTrunc(r, b.getIntNTy(DL.getTypeSizeInBits(T))), T);
			for (PHINode &P : exit->phis())
				P.setIncomingBlock(P.getBasicBlockIndex(exiting), pre);
			std::vector<Use *> uses;
			for (Use &u : last->uses())
				if (auto *UI = dyn_cast<Instruction>(u.getUser()); UI && !L->contains(UI))
					uses.push_back(&u);
			for (Use *u : uses)
				u->set(res);
			pre->getTerminator()->setSuccessor(0, exit);
			DT.recalculate(K);
			found++;
		}
		if (!found)
			return false;
		EliminateUnreachableBlocks(K);
		FAM.invalidate(K, PreservedAnalyses::none());
		return true;
	}

	/* K's loops and what differs between its threads (divergence()), for K as it is now */
	LoopInfo &loopsOf(Function &K, std::set<Value *> &div, std::set<BasicBlock *> &divBlocks)
	{
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(K);
		divergence(K, FAM.getResult<DominatorTreeAnalysis>(K), FAM.getResult<PostDominatorTreeAnalysis>(K), LI,
			   div, divBlocks);
		return LI;
	}

	/* whether loop @L holds a barrier or warp sync (*@bar) or inline assembly (*@asmCall) */
	void callsIn(Loop *L, bool &bar, bool &asmCall)
	{
		bar = asmCall = false;
		for (BasicBlock *b : L->blocks())
			for (Instruction &I : *b)
				if (auto *cb = dyn_cast<CallBase>(&I)) {
					bar = bar || isSync(I);
					asmCall = asmCall || cb->isInlineAsm();
				}
	}

	/* whether every thread runs loop @L alike: it has exits, each a branch on
	 * a value the same in every thread (not in @div, its block not in
	 * @divBlocks), no inline assembly, and it is not one of the device
	 * runtime's own loops (over a warp's lanes: the user's code is the thing
	 * to cut); *@bar: whether it holds a barrier or warp sync */
	bool uniformLoop(Loop *L, const std::set<Value *> &div, const std::set<BasicBlock *> &divBlocks, bool &bar)
	{
		bool asmCall;
		callsIn(L, bar, asmCall);
		if (asmCall || divBlocks.count(L->getHeader()) || runtimeLoop(L))
			return false;
		SmallVector<BasicBlock *, 4> exiting;
		L->getExitingBlocks(exiting);
		for (BasicBlock *e : exiting) {
			auto *br = dyn_cast<BranchInst>(e->getTerminator());
			if (!br || !br->isConditional() || div.count(br->getCondition()) || divBlocks.count(e))
				return false;
		}
		return !exiting.empty();
	}

	unsigned cutUniformLoops(Function &K, unsigned &strided)
	{
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		strided = 0;
		if (Function *vmax = get("__vgpu_vote_max")) {
			std::set<Value *> div;
			std::set<BasicBlock *> divBlocks;
			LoopInfo &LI = loopsOf(K, div, divBlocks);
			std::vector<std::tuple<Loop *, PHINode *, Value *>> todo;
			for (Loop *L : LI.getLoopsInPreorder()) {
				PHINode *P = nullptr;
				bool bar, asmCall;
				callsIn(L, bar, asmCall);
				if (!bar && !asmCall && L->getLoopPreheader() && !divBlocks.count(L->getLoopPreheader()) &&
				    !runtimeLoop(L) && stridedLoop(L, div, P))
					todo.push_back({ L, P, startBase(P->getIncomingValueForBlock(L->getLoopPreheader()), div) });
			}
			for (auto &[L, P, base] : todo)
				uniformStrided(L, P, vmax, base);
			strided = todo.size();
			if (!todo.empty()) {
				inlineAll(K);	/* the vote's own helpers */
				/* its locals (a copy of the context pointer must not live across the barrier) */
				FAM.invalidate(K, PreservedAnalyses::none());
				FunctionPassManager FPM;
				FPM.addPass(SROAPass(SROAOptions::ModifyCFG));
				FPM.run(K, FAM);
				FAM.invalidate(K, PreservedAnalyses::none());
			}
		}
		return cutUniformLoopsNow(K);
	}

	/*
	 * Whether uniform loop @L, which LLVM would not unroll whole (a `#pragma
	 * unroll 8` over a GEMM tile's 32 k steps), is unrolled whole instead of
	 * cut: a constant trip count of at most 64 and at most 4096 of the
	 * front end's instructions unrolled. Cut, each trip was a region whose
	 * thread loop loaded and stored every per-thread accumulator (sgemm_tile:
	 * 4 FMAs, 4 loads, 4 stores and 4 broadcasts a vector of threads and k
	 * step); whole, the thread loop around the unrolled body keeps them in
	 * vector registers. Longer loops (nbody_tile's 128 bodies of a tile,
	 * 4902 instructions) stay cut: whole, they measured no faster.
	 */
	static bool unrollWorthIt(Loop *L, ScalarEvolution &SE, LoopInfo &LI)
	{
		const uint64_t trips = SE.getSmallConstantTripCount(L);	/* the header's runs: one more than the trips */
		return trips && trips <= 65 && unrolledSize(L, SE, LI) <= 4096;
	}
	/* loop @L to be unrolled whole by LLVM: its unroll hints (a count) replaced by unroll.full */
	static void unrollWhole(Loop *L)
	{
		LLVMContext &C = L->getHeader()->getContext();
		SmallVector<Metadata *, 4> ops{ nullptr };
		if (MDNode *id = L->getLoopID())
			for (unsigned i = 1; i < id->getNumOperands(); i++) {
				auto *op = dyn_cast<MDNode>(id->getOperand(i));
				auto *name = op && op->getNumOperands() ? dyn_cast<MDString>(op->getOperand(0)) : nullptr;
				if (!name || !name->getString().startswith("llvm.loop.unroll."))
					ops.push_back(id->getOperand(i));
			}
		ops.push_back(MDNode::get(C, MDString::get(C, "llvm.loop.unroll.full")));
		MDNode *NL = MDNode::getDistinct(C, ops);
		NL->replaceOperandWith(0, NL);
		L->setLoopID(NL);
	}

	/*
	 * A loop that every thread of a block runs the same number of times
	 * (reached by all of them, left on conditions that are the same in
	 * all), with no barrier in it, gets one at its head: each iteration is
	 * then a region run by a loop over the threads, which the vectoriser
	 * turns into vector code across the threads (a tile's k loop in a
	 * GEMM, a loop over the bodies of a shared tile), where the threads'
	 * loop around a whole inner loop stays scalar. Loops that LLVM will
	 * unroll whole (a constant trip count and a small body: a 5x5 filter)
	 * are left alone: their unrolled body vectorises across the threads
	 * as it is; so are those unrollWorthIt takes, marked to be unrolled
	 * whole. Returns how many loops got one.
	 */
	unsigned cutUniformLoopsNow(Function &K)
	{
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		std::set<Value *> div;
		std::set<BasicBlock *> divBlocks;
		LoopInfo &LI = loopsOf(K, div, divBlocks);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(K);
		std::vector<Loop *> cut;
		std::function<void(Loop *)> visit = [&](Loop *L) {
			bool bar;
			const bool ok = uniformLoop(L, div, divBlocks, bar);
			bool small = unrollsWhole(L, SE, LI);
			if (!bar && ok && !small && unrollWorthIt(L, SE, LI)) {
				unrollWhole(L);
				small = true;
			}
			if (!bar && ok && !small) {
				cut.push_back(L);
				return;
			}
			if (bar || !small)
				for (Loop *S : L->getSubLoops())
					visit(S);
		};
		for (Loop *L : LI)
			visit(L);
		if (!cut.empty() && !fBar) {	/* the module had no barrier: its declaration */
			fBar = Function::Create(FunctionType::get(Type::getVoidTy(C), false), GlobalValue::ExternalLinkage,
						"__vgpu_barrier", M);
			fBar->addFnAttr(Attribute::Convergent);
			fBar->addFnAttr(Attribute::NoUnwind);
		}
		/* marked, and placed at the loop's line, for the region profile's labels */
		for (Loop *L : cut) {
			CallInst *ci = CallInst::Create(fBar, "", &*L->getHeader()->getFirstInsertionPt());
			ci->setMetadata("vgpu.cut", MDNode::get(C, {}));
			ci->setDebugLoc(L->getStartLoc());
		}
		if (!cut.empty())
			FAM.invalidate(K, PreservedAnalyses::none());
		return cut.size();
	}

	/*
	 * A loop whose trips differ between threads but are few at most, by
	 * the block size that __launch_bounds__ promises (@threads; `for (w =
	 * 0; w < warp; w++)` with warp = threadIdx.x / 32: at most 7 trips in
	 * a block of 256) becomes a loop of that many trips for every thread,
	 * each behind the thread's own test (guardTrips): LLVM unrolls it
	 * whole, and the thread loop around it, innermost then, vectorises.
	 * As it was, LLVM unrolled nothing (no constant trip count) and the
	 * region ran thread after thread, a scalar chain each. Unrolled by
	 * LLVM's own unroller with a test a trip on the way out instead, the
	 * masked loads of each copy waited on the last one's mask (radix_digits'
	 * scatter 1.35x slower). The thread index's range comes from the bound
	 * while this runs; the image says the bound (__vgpu_bounds_<K>) and
	 * the runtime refuses a launch of more threads, as a GPU does.
	 */
	void boundTrips(Function &K, uint64_t threads)
	{
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		Type *i32 = Type::getInt32Ty(C);
		MDNode *range = MDNode::get(C, { ConstantAsMetadata::get(ConstantInt::get(i32, 0)),
						 ConstantAsMetadata::get(ConstantInt::get(i32, threads)) });
		std::vector<CallInst *> tids;
		for (Instruction &I : instructions(K))
			if (auto *ci = dyn_cast<CallInst>(&I))
				if (Function *f = ci->getCalledFunction();
				    f && (f == fTid[0] || f == fTid[1] || f == fTid[2] || f == fLin) && ci->getType() == i32) {
					ci->setMetadata(LLVMContext::MD_range, range);
					tids.push_back(ci);
				}
		FAM.invalidate(K, PreservedAnalyses::none());
		std::set<Value *> div;
		std::set<BasicBlock *> divBlocks;
		LoopInfo &LI = loopsOf(K, div, divBlocks);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(K);
		std::vector<std::pair<Loop *, unsigned>> todo;
		for (Loop *L : LI.getLoopsInPreorder()) {
			bool bar, asmCall;
			callsIn(L, bar, asmCall);
			auto *br = L->getExitingBlock() == L->getHeader() ? dyn_cast<BranchInst>(L->getHeader()->getTerminator()) : nullptr;
			if (!L->isInnermost() || bar || asmCall || runtimeLoop(L) || !br || !br->isConditional() ||
			    !L->getLoopPreheader() || !L->getLoopLatch() ||
			    !div.count(br->getCondition()) || SE.getSmallConstantTripCount(L))
				continue;
			const unsigned max = SE.getSmallConstantMaxTripCount(L);
			uint64_t size = 0;
			for (BasicBlock *b : L->blocks())
				size += b->size();
			if (max >= 2 && max <= 8 && max * size <= 400)
				todo.push_back({ L, max });
		}
		for (auto &[L, max] : todo)
			guardTrips(L, max - 1);
		for (CallInst *ci : tids)
			ci->setMetadata(LLVMContext::MD_range, nullptr);
		FAM.invalidate(K, PreservedAnalyses::none());
		auto *g = new GlobalVariable(M, i32, true, GlobalValue::ExternalLinkage, ConstantInt::get(i32, threads),
					     "__vgpu_bounds_" + K.getName());
		g->setVisibility(GlobalValue::DefaultVisibility);
	}

	/*
	 * Loop @L (its header's test the only way out) as @trips trips that
	 * every thread runs: a counter from 0 bounds it, and a thread runs the
	 * body only while its own test holds; past it, the thread goes round
	 * with its values as they are (the skip path gives the header its own
	 * values back), so what leaves the loop is what left it before.
	 */
	void guardTrips(Loop *L, unsigned trips)
	{
		BasicBlock *H = L->getHeader(), *pre = L->getLoopPreheader(), *latch = L->getLoopLatch();
		auto *br = cast<BranchInst>(H->getTerminator());
		const bool stayOnTrue = L->contains(br->getSuccessor(0));
		BasicBlock *body = br->getSuccessor(stayOnTrue ? 0 : 1), *exit = br->getSuccessor(stayOnTrue ? 1 : 0);
		Type *i32 = Type::getInt32Ty(C);
		Function *F = H->getParent();
		PHINode *k = PHINode::Create(i32, 3, "trip", &H->front());
		BasicBlock *guard = BasicBlock::Create(C, H->getName() + ".own", F, body);
		BasicBlock *skip = BasicBlock::Create(C, H->getName() + ".skip", F, body);
		BranchInst::Create(stayOnTrue ? body : skip, stayOnTrue ? skip : body, br->getCondition(), guard);
		Value *kSkip = BinaryOperator::CreateAdd(k, ConstantInt::get(i32, 1), "trip.next", skip);
		BranchInst::Create(H, skip);
		Value *kLatch = BinaryOperator::CreateAdd(k, ConstantInt::get(i32, 1), "trip.next", latch->getTerminator());
		for (PHINode &P : H->phis())
			if (&P != k)
				P.addIncoming(&P, skip);
		k->addIncoming(ConstantInt::get(i32, 0), pre);
		k->addIncoming(kLatch, latch);
		k->addIncoming(kSkip, skip);
		body->replacePhiUsesWith(H, guard);
		IRBuilder<> b(br);
		b.CreateCondBr(b.CreateICmpULT(k, ConstantInt::get(i32, trips)), guard, exit);
		br->eraseFromParent();
	}

	/*
	 * A loop with barriers that every thread runs alike, with a constant
	 * trip count of at most 16 and a small body (a Blelloch scan's levels:
	 * `for (d = ELEMS >> 1; d > 0; d >>= 1)`, SCEV's brute-force exit count
	 * finding the shift's trips), is unrolled whole before it is cut into
	 * regions: each level's region then has its own constants (d, the
	 * offset of its indices), which the regions' analyses (regionLimit,
	 * regionChunk, the vectoriser's strides) see, where cut as a loop
	 * they were uniform values read from the context. Innermost loops
	 * that compute a padded index's shift (paddedIn) only: a Hillis-Steele
	 * scan's levels unrolled measured slower (stream_compact 1.5x,
	 * radix_digits 1.1x). Returns how many were unrolled.
	 */
	/* whether loop @L computes a padded index's shift (x >> s, s >= 5, or x / 2^s: regionChunk's) */
	static bool paddedIn(Loop *L)
	{
		for (BasicBlock *b : L->blocks())
			for (Instruction &I : *b) {
				auto *k = dyn_cast_or_null<ConstantInt>(I.getNumOperands() == 2 ? I.getOperand(1) : nullptr);
				if (!k || !I.getType()->isIntegerTy())
					continue;
				const APInt &kv = k->getValue();
				if ((I.getOpcode() == Instruction::LShr || I.getOpcode() == Instruction::AShr) && kv.uge(5) &&
				    kv.ult(kv.getBitWidth()))
					return true;
				if ((I.getOpcode() == Instruction::UDiv || I.getOpcode() == Instruction::SDiv) &&
				    kv.isPowerOf2() && kv.uge(32))
					return true;
			}
		return false;
	}

	unsigned unrollBarrierLoops(Function &K)
	{
		FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
		std::set<Value *> div;
		std::set<BasicBlock *> divBlocks;
		LoopInfo &LI = loopsOf(K, div, divBlocks);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(K);
		DominatorTree &DT = FAM.getResult<DominatorTreeAnalysis>(K);
		AssumptionCache &AC = FAM.getResult<AssumptionAnalysis>(K);
		const TargetTransformInfo &TTI = FAM.getResult<TargetIRAnalysis>(K);
		std::vector<Loop *> todo;
		for (Loop *L : LI.getLoopsInPreorder()) {
			bool bar;
			if (!uniformLoop(L, div, divBlocks, bar) || !bar || !L->isInnermost())
				continue;
			const unsigned trips = SE.getSmallConstantTripCount(L);
			if (trips >= 2 && trips <= 17 && paddedIn(L) && unrolledSize(L, SE, LI) <= 2048)
				todo.push_back(L);
		}
		unsigned done = 0;
		for (Loop *L : todo) {
			simplifyLoop(L, &DT, &LI, &SE, &AC, nullptr, false);
			formLCSSARecursively(*L, DT, &LI, &SE);
			const unsigned trips = SE.getSmallConstantTripCount(L);
			if (!L->isLoopSimplifyForm() || !trips)
				continue;
			OptimizationRemarkEmitter ORE(&K);
			UnrollLoopOptions ULO{ trips, true, false, false, false, true };
			if (UnrollLoop(L, ULO, &LI, &SE, &DT, &AC, &TTI, &ORE, true) == LoopUnrollResult::FullyUnrolled)
				done++;
		}
		if (done) {
			cleanup(K);
			FAM.invalidate(K, PreservedAnalyses::none());
		}
		return done;
	}

	/* kernel @K lowered to its block driver __vgpu_blocks_<K>; its line of the kernel table onto @table */
	void lowerKernel(Function *K, std::string &table)
	{
		if (!inlineAll(*K, true))
			return;
		if (keptShfl(*K)) {
			/* the shuffles' loops in SSA form, their calls kept (only
			 * that: the cleanup below runs on the code inlined whole) */
			FunctionAnalysisManager &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
			FunctionPassManager FPM;
			FPM.addPass(PromotePass());
			FAM.invalidate(*K, PreservedAnalyses::none());
			FPM.run(*K, FAM);
			shuffleLoops(*K);
			if (!inlineAll(*K))
				return;
		}
		cleanup(*K);
		warpBranches = predicateWarpBranches(*K);
		if (warpBranches)
			cleanup(*K);
		if (auto b = bounds.find(K); b != bounds.end())
			boundTrips(*K, b->second);
		dropIdleBarriers(*K);
		unrollBarrierLoops(*K);
		unsigned strided = 0;
		const unsigned cuts = cutUniformLoops(*K, strided);
		bool hasBar = hasBarrier(*K);
		if (hasBar)
			markAhead(*K);
		std::string how = "loops";
		std::vector<ParamLoad> pl = paramLoads(*K);
		nargs = pl.empty() ? 0 : pl.back().src + 1;
		Function *B = makeBody(*K, hasBar);
		blockPf = blockPrefetch(B, hasBar, pl, blockPfStep, blockPf1d);
		if (!hasBar) {
			Function *T = instantiate(get("__vgpu_tmpl_threads"), K->getName() + ".threads",
						  { { get("__vgpu_body"), B } }, GlobalValue::InternalLinkage, &pl);
			Function *N = instantiate(get("__vgpu_tmpl_simple"), "__vgpu_blocks_" + K->getName(),
						  { { get("__vgpu_threads"), T }, { get("__vgpu_block_prefetch"), blockPf } },
						  GlobalValue::ExternalLinkage);
			setConstCalls(N, "__vgpu_block_prefetch_step", blockPfStep);
			setConstCalls(N, "__vgpu_block_prefetch_1d", blockPf1d);
		} else {
			if (!lowerRegions(*K, B, how, pl, cuts - std::min(cuts, strided), strided))
				return;
			/* as the g++ path marks a kernel cut at its barriers */
			auto *sg = new GlobalVariable(M, Type::getInt32Ty(C), true, GlobalValue::ExternalLinkage,
						      ConstantInt::get(Type::getInt32Ty(C), 1),
						      "__vgpu_split_" + K->getName());
			sg->setVisibility(GlobalValue::DefaultVisibility);
		}
		if (blockPfStep)
			how += blockPfStep == BLOCK_PF_ROW ? ", block prefetch (once a row)" :
				!blockPf1d		   ? ", block prefetch (blocks of rows)" :
							     ", block prefetch";
		std::string dem = demangle(K->getName().str());
		table += K->getName().str() + '\t' + dem + '\t' + how + '\n';
	}

	/* name expressions (clang.c): __vgpu_name_x<i> holds &kernel; its
	 * driver is exported as __vgpu_blocks_x<i> too */
	void exportNameExpressions()
	{
		std::vector<GlobalVariable *> nameVars;
		for (GlobalVariable &G : M.globals())
			if (G.getName().startswith("__vgpu_name_x") && G.hasInitializer())
				nameVars.push_back(&G);
		for (GlobalVariable *G : nameVars) {
			auto *K = dyn_cast<Function>(G->getInitializer()->stripPointerCasts());
			std::string id = G->getName().substr(strlen("__vgpu_name_")).str();
			Function *blocks = K ? M.getFunction(("__vgpu_blocks_" + K->getName()).str()) : nullptr;
			if (blocks) {
				auto *A = GlobalAlias::create("__vgpu_blocks_" + id, blocks);
				A->setVisibility(GlobalValue::DefaultVisibility);
				for (const char *pre : { "__vgpu_split_", "__vgpu_bounds_", "__vgpu_regions_" })
					if (GlobalVariable *sp = M.getGlobalVariable((pre + K->getName()).str())) {
						auto *SA = GlobalAlias::create(pre + id, sp);
						SA->setVisibility(GlobalValue::DefaultVisibility);
					}
			}
			removeFromUsedLists(M, [G](Constant *c) { return c->stripPointerCasts() == G; });
			G->eraseFromParent();
		}
	}

	/* the kernel table (mangled, demangled, how each was lowered) as __vgpu_kernel_table */
	void emitKernelTable(const std::string &table)
	{
		Constant *tc = ConstantDataArray::getString(C, table);
		auto *tg = new GlobalVariable(M, tc->getType(), true, GlobalValue::ExternalLinkage, tc,
					      "__vgpu_kernel_table");
		tg->setVisibility(GlobalValue::DefaultVisibility);
	}

	/*
	 * The templates go; kernels and helpers that use the builtins are
	 * inlined where they are needed: what is left of them goes too. No more
	 * convergent code: the loops are ours now.
	 */
	void dropLowered(const std::vector<Function *> &kernels)
	{
		removeFromUsedLists(M, [](Constant *) { return true; });
		for (const char *t : { "__vgpu_tmpl_simple", "__vgpu_tmpl_threads", "__vgpu_tmpl_region_all",
				       "__vgpu_tmpl_region_allu", "__vgpu_tmpl_region_sel",
				       "__vgpu_tmpl_barrier", "__vgpu_vote_max" })
			if (Function *f = get(t))
				f->eraseFromParent();
		for (Function *K : kernels)
			K->setLinkage(GlobalValue::InternalLinkage);
		for (Function *F : needInline) {
			F->setLinkage(GlobalValue::InternalLinkage);
			F->setComdat(nullptr);
		}
		for (Function &F : M) {
			F.removeFnAttr(Attribute::Convergent);
			for (Instruction &I : instructions(F))
				if (auto *cb = dyn_cast<CallBase>(&I))
					cb->removeFnAttr(Attribute::Convergent);
		}
	}

	/*
	 * The C library's math functions (sqrtf, expf, powf, ... as cuda.h
	 * declares them) are pure: in device code clang takes them for
	 * ordinary convergent functions that may write memory (CUDA's own
	 * headers map them to __nv_* bodies instead), so a call blocked the
	 * vectoriser (no libmvec variants, no llvm.sqrt), hoisting and the
	 * pass's own recomputation of values. Device code has no errno: a
	 * function the target's library info knows, taking and giving only
	 * numbers (some floating point), is said to touch no memory.
	 */
	void pureMath()
	{
		TargetLibraryInfoImpl impl(Triple(M.getTargetTriple()));
		TargetLibraryInfo tli(impl);
		for (Function &F : M) {
			LibFunc lf;
			if (!F.isDeclaration() || F.isVarArg() || !tli.getLibFunc(F, lf))
				continue;
			FunctionType *T = F.getFunctionType();
			bool fp = T->getReturnType()->isFloatingPointTy(), ok = fp || T->getReturnType()->isIntegerTy();
			for (Type *p : T->params()) {
				fp = fp || p->isFloatingPointTy();
				ok = ok && (p->isFloatingPointTy() || p->isIntegerTy());
			}
			if (!ok || !fp)
				continue;
			F.removeFnAttr(Attribute::Convergent);
			F.setDoesNotAccessMemory();
			F.setDoesNotThrow();
			F.setWillReturn();
			F.setNoSync();
			F.setDoesNotFreeMemory();
			for (User *u : F.users())
				if (auto *cb = dyn_cast<CallBase>(u); cb && cb->getCalledFunction() == &F) {
					cb->removeFnAttr(Attribute::Convergent);
					cb->setDoesNotAccessMemory();
				}
		}
	}

	/*
	 * 16 KiB of thread-local padding after the __shared__ variables, the
	 * last of the module's thread-local ones. A thread loop's vector loads
	 * and stores under a mask (`if (tid < 8) s[tid]`) still have an
	 * address for every lane: up to the block's threads times the
	 * element past the array's start. The block of thread-local storage a
	 * dlopen()ed object gets is malloc()ed, often at the top of the worker
	 * thread's arena, where the next page is not readable; a masked access
	 * reaching it is not an error (no fault for masked lanes) but costs a
	 * microcode assist each time (~700 cycles on the AMD EPYC of the
	 * benchmarks: layernorm_cg's `scratch` read by warp 0 ran 2.3x slower
	 * depending on where the block landed). Padding keeps those lanes
	 * inside the block: 1024 threads of 16 bytes.
	 */
	void padShared()
	{
		bool any = false;
		for (GlobalVariable &G : M.globals())
			any |= G.isThreadLocal();
		if (!any)
			return;
		auto *ty = ArrayType::get(Type::getInt8Ty(M.getContext()), 16384);
		auto *pad = new GlobalVariable(M, ty, false, GlobalValue::InternalLinkage, Constant::getNullValue(ty),
					       "__vgpu_shared_pad", nullptr, GlobalValue::GeneralDynamicTLSModel);
		pad->setAlignment(Align(64));
		appendToCompilerUsed(M, { pad });
	}

	PreservedAnalyses run()
	{
		findBuiltins();
		if (!get("__vgpu_tmpl_simple"))
			return PreservedAnalyses::all();	/* not a libvgpu module */
		pureMath();
		std::vector<Function *> kernels = findKernels();
		findNeedInline();
		refuseUnlowerable();
		std::string table;
		for (Function *K : kernels)
			lowerKernel(K, table);
		exportNameExpressions();
		emitKernelTable(table);
		dropLowered(kernels);
		padShared();
		checkUndefined();
		/* the line tables were for the messages above: the image does not carry them */
		StripDebugInfo(M);
		if (getenv("VGPU_CPU_PASS_DUMP"))	/* debugging: the lowered module, before O3 */
			M.print(errs(), nullptr);
		if (verifyModule(M, &errs()))
			report_fatal_error("libvgpu: the lowered module does not verify");
		return PreservedAnalyses::none();
	}
};

struct VgpuCpuPass : PassInfoMixin<VgpuCpuPass> {
	PreservedAnalyses run(Module &M, ModuleAnalysisManager &MAM)
	{
		return Lower(M, MAM).run();
	}
};

/*
 * Right before the loop vectoriser, in the thread loops (loops whose
 * metadata has llvm.loop.parallel_accesses, from cuda.h's
 * __VGPU_THREAD_LOOP):
 *  - switches become branches. SimplifyCFG turns chains like `if (tx == 0)
 *    .. if (tx == BX - 1)` into a switch on the thread index, and LLVM 16's
 *    vectoriser refuses any loop holding a switch; branches it if-converts;
 *  - the llvm.experimental.noalias.scope.decl calls that inlining a function
 *    with __restrict__ parameters leaves get the loop's access groups: the
 *    inliner adds them after it has put the call's access group on what it
 *    inlined, and one memory-touching instruction without it makes the loop
 *    not parallel (then the vectoriser wants alias checks it cannot build);
 *  - a vote count (cuda.h's __vgpu_ctx vtrue, vn, vmax) still in memory,
 *    in a driver's copy of the context that was not split into values,
 *    loses the access group: each thread adds to it, so two threads'
 *    updates are not independent (split, it is a reduction);
 *  - a load at the thread index plus a compare's 0/1 or 0/-1 becomes a
 *    branch with a contiguous load in each arm (splitChosenLoads);
 *  - a thread loop with bounds tests on values that step with the thread
 *    (`if (i < n)`) gets a copy without them, run where they hold for
 *    every thread of the loop (versionGuards);
 *  - addresses at the zero extension of an i32 index that IndVarSimplify
 *    left become i64 where that makes them step with the loop
 *    (widenAddresses); two accesses of a block to one __shared__ variable
 *    at extended i32 indices a constant apart become one address and a
 *    constant offset from it (rebaseSiblings: a Blelloch level's pair,
 *    one padded index a thread); and a strided store group in __shared__
 *    memory with gaps the thread loaded gets those values stored back (a
 *    Blelloch up-sweep's s[2x + 1] += s[2x]: completeStoreGroups), so that
 *    the vectoriser makes interleaved loads and stores of them;
 *  - a thread loop that only gathers and scatters in __shared__ memory (a
 *    Blelloch scan's sweeps) stays scalar (keepScattersScalar).
 */
struct VgpuThreadLoopPass : PassInfoMixin<VgpuThreadLoopPass> {
	static MDNode *parallelGroups(Loop *L)
	{
		MDNode *id = L->getLoopID();
		for (unsigned i = 1; id && i < id->getNumOperands(); i++)
			if (auto *op = dyn_cast<MDNode>(id->getOperand(i)); op && op->getNumOperands() > 1)
				if (auto *tag = dyn_cast<MDString>(op->getOperand(0)))
					if (tag->getString() == "llvm.loop.parallel_accesses") {
						SmallVector<Metadata *, 4> g(op->op_begin() + 1, op->op_end());
						return g.size() == 1 ? cast<MDNode>(g[0]) : MDNode::get(L->getHeader()->getContext(), g);
					}
		return nullptr;
	}

	/*
	 * Every thread storing one value to one place (the pass's stores of
	 * uniform values to ctx->uout at each return, which merging the
	 * returns leaves without the access group): no order of the threads
	 * changes what is left there, if nothing in the loop reads it back.
	 */
	static bool uniformStore(Loop *L, StoreInst *st)
	{
		Value *p = st->getPointerOperand();
		if (st->isVolatile() || st->isAtomic() || !L->isLoopInvariant(p) || !L->isLoopInvariant(st->getValueOperand()))
			return false;
		for (User *U : p->users())
			if (auto *I = dyn_cast<Instruction>(U); I && I != st && L->contains(I))
				return false;
		return true;
	}

	/* the __shared__ variable @p points into (thread-local, see Lower::makeBody), or null */
	static const GlobalVariable *sharedVariable(Value *p)
	{
		const Value *o = getUnderlyingObject(p);
		if (auto *II = dyn_cast<IntrinsicInst>(o); II && II->getIntrinsicID() == Intrinsic::threadlocal_address)
			o = II->getArgOperand(0);
		auto *G = dyn_cast<GlobalVariable>(o);
		return G && G->isThreadLocal() ? G : nullptr;
	}
	static bool sharedAddress(Value *p) { return sharedVariable(p) != nullptr; }

	/*
	 * Atomics on __shared__ memory become plain read-modify-writes: the
	 * threads of a block run one after the other on one worker, and the
	 * block's shared memory is that worker's, so nothing else can come
	 * between the read and the write (a histogram in shared memory pays a
	 * locked instruction per update otherwise). What they make carries no
	 * access group: the vectoriser must not treat two threads' updates of
	 * one counter as independent.
	 */
	static bool lowerSharedAtomics(Function &F)
	{
		std::vector<Instruction *> at;
		for (BasicBlock &BB : F)
			for (Instruction &I : BB)
				if (auto *rmw = dyn_cast<AtomicRMWInst>(&I); rmw && sharedAddress(rmw->getPointerOperand()))
					at.push_back(rmw);
				else if (auto *cx = dyn_cast<AtomicCmpXchgInst>(&I); cx && sharedAddress(cx->getPointerOperand()))
					at.push_back(cx);
		for (Instruction *I : at)
			if (auto *rmw = dyn_cast<AtomicRMWInst>(I))
				lowerAtomicRMWInst(rmw);
			else
				lowerAtomicCmpXchgInst(cast<AtomicCmpXchgInst>(I));
		return !at.empty();
	}

	/* whether @I reads or writes a vote count of a context copy (a local
	 * __vgpu_ctx, one of several through a select) */
	static bool voteAccess(Instruction &I)
	{
		auto *ld = dyn_cast<LoadInst>(&I);
		auto *st = dyn_cast<StoreInst>(&I);
		Value *p = ld ? ld->getPointerOperand() : st ? st->getPointerOperand() : nullptr;
		if (!p)
			return false;
		const DataLayout &DL = I.getModule()->getDataLayout();
		APInt off(DL.getIndexTypeSizeInBits(p->getType()), 0);
		const Value *base = p->stripAndAccumulateConstantOffsets(DL, off, true);
		if (off.ult(CTX_VOTES_OFF) || off.uge(CTX_SIZE))
			return false;
		SmallVector<const Value *, 4> objs;
		getUnderlyingObjects(base, objs);
		for (const Value *o : objs)
			if (auto *A = dyn_cast<AllocaInst>(o))
				if (auto *T = dyn_cast<StructType>(A->getAllocatedType());
				    T && T->hasName() && T->getName().startswith("struct.__vgpu_ctx"))
					return true;
		return false;
	}

	/* whether @v is @L's thread index: a header phi from 0 stepping by 1 */
	static bool threadIV(Value *v, Loop *L)
	{
		using namespace PatternMatch;
		auto *phi = dyn_cast<PHINode>(v);
		if (!phi || phi->getParent() != L->getHeader() || phi->getNumIncomingValues() != 2)
			return false;
		bool zero = false, step = false;
		for (unsigned i = 0; i < 2; i++) {
			Value *in = phi->getIncomingValue(i);
			if (!L->contains(phi->getIncomingBlock(i)))
				zero = match(in, m_Zero());
			else
				step = match(in, m_Add(m_Specific(phi), m_One()));
		}
		return zero && step;
	}

	/*
	 * A load at a neighbour chosen by a test (pathfinder's `l = tx - 1 < lo
	 * ? tx : tx - 1`, which InstCombine leaves as `(tx + sext(tx > lo)) &
	 * 0xffffffff` or as the low 32 bits of it sign-extended) was a gather:
	 * the index is no affine function of the thread. In a thread loop, a
	 * load from an array (`getelementptr inbounds [N x T], p, 0, idx`, N <
	 * 2^20: a __shared__ one) whose index is the loop's thread index plus a
	 * zext or sext of one i1 (the 32-bit mask or sign extension around it
	 * allowed) becomes a branch on that i1 with a load in each arm at the
	 * thread index plus the arm's constant (-1, 0 or 1): two contiguous
	 * loads, masked by the vectoriser, and a blend. Dropping the mask or
	 * extension changes no index the original could read: the thread index
	 * is below 1024, so that sum lies in [-1, 1024]; a sign extension keeps
	 * all of them, the mask changes only -1, which the original would read
	 * as 2^32 - 1, past the array (undefined). pathfinder_dp: its image's
	 * CPU time 1.33x less (perf cpu-clock samples, one worker).
	 */
	static bool splitChosenLoads(Function &F, LoopInfo &LI)
	{
		using namespace PatternMatch;
		struct Job {
			LoadInst *ld;
			GetElementPtrInst *gep;
			Value *iv, *c;
			bool sext;
		};
		std::vector<Job> jobs;
		for (Loop *L : LI.getLoopsInPreorder()) {
			if (!parallelGroups(L))
				continue;
			for (BasicBlock *BB : L->blocks()) {
				if (LI.getLoopFor(BB) != L)
					continue;
				for (Instruction &I : *BB) {
					auto *ld = dyn_cast<LoadInst>(&I);
					if (!ld || !ld->isSimple() || !ld->hasMetadata(LLVMContext::MD_access_group))
						continue;
					auto *gep = dyn_cast<GetElementPtrInst>(ld->getPointerOperand());
					if (!gep || !gep->isInBounds() || gep->getNumIndices() != 2 ||
					    !match(gep->getOperand(1), m_Zero()))
						continue;
					auto *at = dyn_cast<ArrayType>(gep->getSourceElementType());
					if (!at || at->getNumElements() >= (1u << 20) ||
					    gep->getResultElementType() != ld->getType())
						continue;
					Value *idx = gep->getOperand(2), *x = idx, *w, *a, *b, *c;
					if (!idx->getType()->isIntegerTy(64))
						continue;
					/* (a failed match may have bound w: only a whole one sets x) */
					if (match(idx, m_And(m_Value(w), m_SpecificInt(0xffffffffull))) ||
					    match(idx, m_AShr(m_Shl(m_Value(w), m_SpecificInt(32)), m_SpecificInt(32))) ||
					    (match(idx, m_SExt(m_Trunc(m_Value(w)))) &&
					     cast<Instruction>(idx)->getOperand(0)->getType()->isIntegerTy(32)))
						x = w;
					if (!match(x, m_Add(m_Value(a), m_Value(b))))
						continue;
					for (int k = 0; k < 2; k++, std::swap(a, b)) {
						bool sx = match(b, m_SExt(m_Value(c)));
						if (!sx && !match(b, m_ZExt(m_Value(c))))
							continue;
						if (c->getType()->isIntegerTy(1) && threadIV(a, L)) {
							jobs.push_back({ ld, gep, a, c, sx });
							break;
						}
					}
				}
			}
		}
		for (Job &j : jobs) {
			Instruction *thenT, *elseT;
			SplitBlockAndInsertIfThenElse(j.c, j.ld, &thenT, &elseT);
			Value *v[2];
			for (int arm = 0; arm < 2; arm++) {
				IRBuilder<> B(arm ? elseT : thenT);
				int64_t k = arm ? 0 : (j.sext ? -1 : 1);
				Value *i = k ? B.CreateAdd(j.iv, ConstantInt::get(j.iv->getType(), k)) : j.iv;
				Value *p = B.CreateInBoundsGEP(j.gep->getSourceElementType(), j.gep->getPointerOperand(),
							       { j.gep->getOperand(1), i });
				LoadInst *l = B.CreateAlignedLoad(j.ld->getType(), p, j.ld->getAlign());
				l->copyMetadata(*j.ld);
				v[arm] = l;
			}
			PHINode *phi = PHINode::Create(j.ld->getType(), 2, "", j.ld);
			phi->addIncoming(v[0], thenT->getParent());
			phi->addIncoming(v[1], elseT->getParent());
			j.ld->replaceAllUsesWith(phi);
			j.ld->eraseFromParent();
		}
		return !jobs.empty();
	}

	PreservedAnalyses run(Function &F, FunctionAnalysisManager &FAM)
	{
		const bool lowered = lowerSharedAtomics(F);
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		bool any = false, sw = false;
		for (Loop *L : LI.getLoopsInPreorder()) {
			MDNode *groups = parallelGroups(L);
			if (!groups)
				continue;
			any = true;
			for (BasicBlock *BB : L->blocks()) {
				sw = sw || isa<SwitchInst>(BB->getTerminator());
				for (Instruction &I : *BB) {
					if (I.hasMetadata(LLVMContext::MD_access_group) && voteAccess(I))
						I.setMetadata(LLVMContext::MD_access_group, nullptr);
					if (auto *st = dyn_cast<StoreInst>(&I); st && !st->hasMetadata(LLVMContext::MD_access_group) &&
						uniformStore(L, st))
						st->setMetadata(LLVMContext::MD_access_group, groups);
					if (auto *II = dyn_cast<IntrinsicInst>(&I);
					    II && II->getIntrinsicID() == Intrinsic::experimental_noalias_scope_decl)
						II->setMetadata(LLVMContext::MD_access_group,
								uniteAccessGroups(II->getMetadata(LLVMContext::MD_access_group), groups));
				}
			}
		}
		if (!any && !lowered)
			return PreservedAnalyses::all();
		if (sw) {
			LowerSwitchPass().run(F, FAM);
			FAM.invalidate(F, PreservedAnalyses::none());
		}
		const bool split = any && splitChosenLoads(F, FAM.getResult<LoopAnalysis>(F));
		if (split)
			FAM.invalidate(F, PreservedAnalyses::none());
		const bool guarded = any && versionGuards(F, FAM);
		if (guarded)
			FAM.invalidate(F, PreservedAnalyses::none());
		const bool streams = any && splitStreams(F, FAM);
		if (streams)
			FAM.invalidate(F, PreservedAnalyses::none());
		const bool widened = any && widenAddresses(F, FAM);
		if (widened)
			FAM.invalidate(F, PreservedAnalyses::none());
		const bool rebased = any && rebaseSiblings(F, FAM);
		if (rebased)
			FAM.invalidate(F, PreservedAnalyses::none());
		const bool filled = any && completeStoreGroups(F, FAM);
		if (filled)
			FAM.invalidate(F, PreservedAnalyses::none());
		if (any)
			keepScattersScalar(F, FAM);
		if (guarded || streams || widened || filled)
			return PreservedAnalyses::none();
		if (!sw && !split)
			return PreservedAnalyses::allInSet<CFGAnalyses>();
		return PreservedAnalyses::none();
	}

	/* whether @I touches memory for hints only (assume-like intrinsics, prefetches) */
	static bool memoryHint(const Instruction *I)
	{
		auto *II = dyn_cast<IntrinsicInst>(I);
		return II && (II->isAssumeLikeIntrinsic() || II->getIntrinsicID() == Intrinsic::prefetch);
	}

	/* whether @I's accesses are in the access groups @groups (parallelGroups) */
	static bool inAccessGroup(Instruction *I, MDNode *groups)
	{
		MDNode *ag = I->getMetadata(LLVMContext::MD_access_group);
		auto has = [&](const Metadata *g) { return g == groups || is_contained(groups->operands(), g); };
		return ag && (ag->getNumOperands() ? any_of(ag->operands(), [&](const MDOperand &g) { return has(g.get()); })
						   : has(ag));
	}

	/* the body of loop @L in the thread's order (a chain of blocks from
	 * the header to the latch), or empty; @out: its values used after it
	 * (the driver's way out of the region, the last thread's) */
	static std::vector<Instruction *> straightBody(Loop *L, std::vector<Instruction *> &out)
	{
		std::vector<Instruction *> body;
		BasicBlock *BB = L->getHeader();
		for (unsigned n = 0; n < 64; n++) {
			for (Instruction &I : *BB) {
				body.push_back(&I);
				if (any_of(I.users(), [&](User *U) { return !L->contains(cast<Instruction>(U)); }))
					out.push_back(&I);
			}
			if (BB == L->getLoopLatch())
				return body.size() <= 2000 ? body : std::vector<Instruction *>{};
			auto *br = dyn_cast<BranchInst>(BB->getTerminator());
			if (!br || br->isConditional() || !L->contains(br->getSuccessor(0)))
				return {};
			BB = br->getSuccessor(0);
		}
		return {};
	}

	/* where a thread of loop @L accesses @ptr (a value of type @access):
	 * the array, the element's index (its SCEV: one element a thread) and
	 * size; false if not so */
	static bool threadElement(Loop *L, Value *ptr, Type *access, ScalarEvolution &SE, const DataLayout &DL,
				  const SCEV *&base, const SCEV *&idx, uint64_t &size)
	{
		auto *gep = dyn_cast<GetElementPtrInst>(ptr);
		if (!gep || !L->isLoopInvariant(gep->getPointerOperand()))
			return false;
		Type *T = gep->getSourceElementType();
		Value *i = gep->getOperand(gep->getNumOperands() - 1);
		if (gep->getNumIndices() == 2) {	/* an array's element: [N x T], 0, i */
			auto *c0 = dyn_cast<ConstantInt>(gep->getOperand(1));
			if (!c0 || !c0->isZero() || !isa<ArrayType>(T))
				return false;
			T = cast<ArrayType>(T)->getElementType();
		} else if (gep->getNumIndices() != 1)
			return false;
		size = DL.getTypeAllocSize(T);
		if (size != DL.getTypeStoreSize(access))
			return false;
		/* the thread's index of 32 bits, widened (only which stream a
		 * store is in hangs on it, not what the split does) */
		const SCEV *x = SE.getSCEV(i);
		while (isa<SCEVZeroExtendExpr>(x) || isa<SCEVSignExtendExpr>(x))
			x = cast<SCEVCastExpr>(x)->getOperand(0);
		auto *ar = dyn_cast<SCEVAddRecExpr>(x);
		if (!ar || ar->getLoop() != L || !ar->isAffine() || !ar->getStepRecurrence(SE)->isOne())
			return false;
		base = SE.getSCEV(gep->getPointerOperand());
		idx = ar;
		return true;
	}

	/* the stores of @body by stream, or none: an array's stores more than
	 * 512 bytes from the ones before them start a stream; the first
	 * stream of every array goes to the first loop, the second to the
	 * second, ... A store goes by its own place, or (@byLoad, a store to
	 * shared memory at a padded index: s[t + (t >> 5)]) by the first load
	 * its value comes from that steps with the thread (in[b + t]) */
	static std::vector<std::vector<StoreInst *>> streamsOf(Loop *L, const std::vector<Instruction *> &body,
							       ScalarEvolution &SE, const DataLayout &DL, bool byLoad)
	{
		struct Elt {
			StoreInst *st;
			const SCEV *idx;
			int64_t off;	/* bytes from the array's first access */
		};
		std::vector<std::pair<const SCEV *, std::vector<Elt>>> arrays;
		std::vector<StoreInst *> same;	/* every thread's one value to one place */
		for (Instruction *I : body) {
			if (!I->mayWriteToMemory() || memoryHint(I))
				continue;
			auto *st = dyn_cast<StoreInst>(I);
			const SCEV *base = nullptr, *idx;
			uint64_t size;
			if (!st || !st->isSimple())
				return {};
			if (uniformStore(L, st)) {	/* the last loop keeps it */
				same.push_back(st);
				continue;
			}
			if (!byLoad) {
				if (!threadElement(L, st->getPointerOperand(), st->getValueOperand()->getType(), SE, DL, base, idx,
						   size))
					return {};
			} else {
				/* the loads the value comes from, nearest first */
				std::vector<Value *> work{ st->getValueOperand() };
				std::set<Value *> seen;
				for (size_t k = 0; k < work.size() && !base; k++) {
					auto *V = dyn_cast<Instruction>(work[k]);
					if (!V || !L->contains(V) || !seen.insert(V).second)
						continue;
					if (auto *ld = dyn_cast<LoadInst>(V); ld && ld->isSimple() &&
					    threadElement(L, ld->getPointerOperand(), ld->getType(), SE, DL, base, idx, size))
						break;
					base = nullptr;
					for (Value *op : V->operands())
						work.push_back(op);
				}
				if (!base)
					return {};
			}
			auto it = find_if(arrays, [&](auto &a) { return a.first == base; });
			if (it == arrays.end()) {
				arrays.push_back({ base, { { st, idx, 0 } } });
				continue;
			}
			auto *d = dyn_cast<SCEVConstant>(SE.getMinusSCEV(idx, it->second.front().idx));
			if (!d)
				return {};
			it->second.push_back({ st, idx, d->getAPInt().getSExtValue() * (int64_t)size });
		}
		std::vector<std::vector<StoreInst *>> groups;
		for (auto &[base, elts] : arrays) {
			stable_sort(elts, [](const Elt &a, const Elt &b) { return a.off < b.off; });
			unsigned g = 0;
			for (size_t k = 0; k < elts.size(); k++) {
				if (k && elts[k].off - elts[k - 1].off > 512)
					g++;
				if (g >= 4)
					return {};
				if (groups.size() <= g)
					groups.resize(g + 1);
				groups[g].push_back(elts[k].st);
			}
		}
		if (groups.size() < 2)
			return {};
		groups.back().insert(groups.back().end(), same.begin(), same.end());
		return groups;
	}

	/* whether the stores of @groups may run apart, a loop each, in their
	 * order, the values @out used after the loop coming from the first */
	static bool streamsApart(Loop *L, const std::vector<Instruction *> &body, const std::vector<Instruction *> &out,
				 const std::vector<std::vector<StoreInst *>> &groups, AAResults &AA)
	{
		std::map<Instruction *, unsigned> copy, pos;
		for (unsigned g = 0; g < groups.size(); g++)
			for (StoreInst *s : groups[g])
				copy[s] = g;
		for (unsigned i = 0; i < body.size(); i++)
			pos[body[i]] = i;
		/* the memory reads each store's value and address come from, and
		 * those of the values used after the loop: the copies that need them */
		std::map<Instruction *, std::set<unsigned>> need;
		std::vector<std::pair<Instruction *, unsigned>> roots(copy.begin(), copy.end());
		for (Instruction *I : out)
			roots.push_back({ I, 0 });
		for (auto &[s, g] : roots) {
			std::set<Instruction *> seen;
			std::vector<Value *> work;
			if (auto *st = dyn_cast<StoreInst>(s))
				work = { st->getValueOperand(), st->getPointerOperand() };
			else
				work = { s };
			while (!work.empty()) {
				auto *I = dyn_cast<Instruction>(work.back());
				work.pop_back();
				if (!I || !L->contains(I) || !seen.insert(I).second)
					continue;
				if (I->mayReadFromMemory())
					need[I].insert(g);
				for (Value *op : I->operands())
					work.push_back(op);
			}
		}
		for (Instruction *I : body)
			if (I->mayReadFromMemory() && !need.count(I) && !isa<IntrinsicInst>(I) && isa<CallBase>(I))
				return false;
		/* a read of one copy and a store of another whose order changes */
		for (auto &[s, g] : copy)
			for (auto &[I, cs] : need)
				for (unsigned c : cs)
					if (((c < g && pos[I] > pos[s]) || (c > g && pos[I] < pos[s])) &&
					    (!isa<LoadInst>(I) ||
					     isModSet(AA.getModRefInfo(s, MemoryLocation::get(cast<LoadInst>(I))))))
						return false;
		/* two stores of different copies whose order changes */
		for (auto &[a, ga] : copy)
			for (auto &[b, gb] : copy)
				if (ga < gb && pos[a] > pos[b] &&
				    !AA.isNoAlias(MemoryLocation::get(cast<StoreInst>(a)), MemoryLocation::get(cast<StoreInst>(b))))
					return false;
		return true;
	}

	/*
	 * The loads of straight-line thread loop @L (@body) from one place for
	 * every thread (add_offsets' sums[blockIdx.x]) that no store of the
	 * thread before them may write, read once before it: the loop is
	 * parallel (another thread's store there would be a race) and runs at
	 * least once (its latch is its exit). A split loop's later copies read
	 * them too, after the earlier copies' stores, which AA cannot tell
	 * apart from them (two pointer parameters).
	 */
	static bool hoistInvariantLoads(Loop *L, const std::vector<Instruction *> &body, AAResults &AA)
	{
		/* every access of the body is one of the loop's parallel ones (splitStreams) */
		Instruction *at = L->getLoopPreheader()->getTerminator();
		bool moved = false;
		for (size_t k = 0; k < body.size(); k++) {
			auto *ld = dyn_cast<LoadInst>(body[k]);
			bool inv = false;
			if (!ld || !ld->isSimple() || !L->makeLoopInvariant(ld->getPointerOperand(), inv, at))
				continue;
			if (none_of(make_range(body.begin(), body.begin() + k), [&](Instruction *I) {
				    return I->mayWriteToMemory() && isModSet(AA.getModRefInfo(I, MemoryLocation::get(ld)));
			    })) {
				ld->moveBefore(at);
				moved = true;
			}
		}
		return moved;
	}

	/*
	 * A thread loop whose threads each store two or more elements a block
	 * apart (`out[i] += off; out[i + 256] += off`: scan_blelloch's and
	 * warp_scan's add_offsets; CUB-style items, `for (j ..) tile[j *
	 * THREADS + t] = in[base + j * THREADS + t]` unrolled) runs as one loop
	 * per such stream, one after the other. Vectorised, one loop
	 * interleaved the streams, and memory ran them slower than one: a copy
	 * of 16 M ints on the EPYC of the benchmarks, 512 a block, one worker,
	 * 0.63-0.65x of OpenMP with two elements a thread (0.80-0.87x split),
	 * 0.85-0.93x with one. The loop
	 * is parallel (its access groups: no thread depends on another), so
	 * each copy may keep one stream's stores, in the thread's order, as
	 * long as no read that a store of one copy comes from, nor another
	 * store, moves across a store of another copy that may touch it (AA,
	 * within the thread). A stream: an array's stores within 512 bytes of
	 * each other, by their own index (one element a thread) or, for stores
	 * to a padded shared index (s[t + (t >> 5)]), by the load their value
	 * comes from; stores of one value to one place (ctx->uout) stay with
	 * the last copy. Only straight-line loops of the parallel accesses
	 * alone, not the drivers' loops over 32 threads of a chunk (the
	 * streams interleave by 32 there all the same: split, scan_blelloch's
	 * staging took 1.35x the time); 2 to 4 streams. Reads of one place for
	 * every thread (sums[blockIdx.x]) are read once before the loop
	 * (hoistInvariantLoads), where a later copy would have read them after
	 * an earlier one's stores that AA cannot tell apart.
	 */
	static bool splitStreams(Function &F, FunctionAnalysisManager &FAM)
	{
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		DominatorTree &DT = FAM.getResult<DominatorTreeAnalysis>(F);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(F);
		AAResults &AA = FAM.getResult<AAManager>(F);
		const DataLayout &DL = F.getParent()->getDataLayout();
		std::vector<std::pair<Loop *, std::vector<std::vector<StoreInst *>>>> todo;
		bool formed = false;
		for (Loop *L : LI.getLoopsInPreorder()) {
			MDNode *par = parallelGroups(L);
			/* the guards' two versions of a thread loop share its exit (versionGuards) */
			if (L->isInnermost() && par && !L->hasDedicatedExits())
				formed |= formDedicatedExitBlocks(L, &DT, &LI, nullptr, true);
			BasicBlock *PH = L->getLoopPreheader(), *Exit = L->getExitBlock();
			if (!L->isInnermost() || !par || !PH || !Exit || L->getExitingBlock() != L->getLoopLatch() ||
			    !L->isLoopSimplifyForm() || !Exit->getSinglePredecessor())
				continue;
			std::vector<Instruction *> out, body = straightBody(L, out);
			/* a chunk's loop over 32 threads (__VGPU_CHUNKS, its stores
			 * marked by regionChunk) interleaves the streams all the same:
			 * split, scan_blelloch's loads of two halves into padded
			 * shared memory took 1.35x the time */
			if (any_of(body, [](Instruction *I) { return I->hasMetadata("vgpu.chunk"); }))
				body.clear();
			/* only the loop's parallel accesses (not a lowered shared atomic's) */
			if (any_of(body, [&](Instruction *I) {
				    return I->mayReadOrWriteMemory() && !inAccessGroup(I, par) && !memoryHint(I);
			    }))
				body.clear();
			if (body.empty())
				continue;
			/* two stores or more: the loads of one place first (the
			 * parameters' pointers among them, where the thread's stores
			 * may alias the argument array for AA) */
			if (count_if(body, [](Instruction *I) { return isa<StoreInst>(I); }) >= 2 &&
			    hoistInvariantLoads(L, body, AA)) {
				formed = true;
				out.clear();
				body = straightBody(L, out);
			}
			auto groups = streamsOf(L, body, SE, DL, false);
			if (groups.empty())
				groups = streamsOf(L, body, SE, DL, true);
			if (!groups.empty() && streamsApart(L, body, out, groups, AA))
				todo.push_back({ L, groups });
		}
		for (auto &[L, groups] : todo) {
			/* an empty preheader of its own, the copies' model (the
			 * preheader may be the row loop's header, phis and all) */
			SplitBlock(L->getLoopPreheader(), L->getLoopPreheader()->getTerminator(), &DT, &LI);
			/* copies 1 .. n-1 after the loop, one after the other: the
			 * loop -> Mid -> copy 1 -> ... -> Exit */
			BasicBlock *Exit = L->getExitBlock(), *Mid = SplitEdge(L->getExitingBlock(), Exit, &DT, &LI);
			BasicBlock *last = Mid;	/* the block the next copy comes after */
			std::vector<std::unique_ptr<ValueToValueMapTy>> maps;
			for (unsigned k = 1; k < groups.size(); k++) {
				maps.push_back(std::make_unique<ValueToValueMapTy>());
				SmallVector<BasicBlock *, 16> blocks;
				/* placed before Exit, dominated by the block before it */
				Loop *NL = cloneLoopWithPreheader(Exit, last, L, *maps.back(), ".s" + Twine(k), &LI, &DT, blocks);
				remapInstructionsInBlocks(blocks, *maps.back());
				BasicBlock *NPH = NL->getLoopPreheader(), *NE = NL->getExitingBlock();
				/* the copy's way out was Mid (the original's exit edge, cloned): now Exit */
				cast<BranchInst>(NE->getTerminator())->replaceSuccessorWith(Mid, Exit);
				last->getTerminator()->setSuccessor(0, NPH);
				/* Exit's phis came from the block before the copy */
				Exit->replacePhiUsesWith(last, NE);
				DT.recalculate(F);
				BasicBlock *NMid = SplitEdge(NE, Exit, &DT, &LI);
				last = NMid;
			}
			/* each loop keeps its stream's stores: the others' dropped,
			 * all found before any goes (a map forgets an erased key) */
			std::vector<Instruction *> drops;
			for (unsigned g = 0; g < groups.size(); g++)
				for (StoreInst *s : groups[g])
					for (unsigned k = 0; k < groups.size(); k++)
						if (k != g)
							drops.push_back(k ? cast<Instruction>((*maps[k - 1])[s]) : s);
			for (Instruction *s : drops) {
				WeakTrackingVH v = s->getOperand(0), p = s->getOperand(1);
				s->eraseFromParent();
				for (WeakTrackingVH *h : { &v, &p })
					if (*h)
						RecursivelyDeleteTriviallyDeadInstructions(*h);
			}
		}
		if (!todo.empty())
			DT.recalculate(F);
		return formed || !todo.empty();
	}

	/*
	 * A thread loop whose every access to memory that differs between
	 * threads is to __shared__ memory at an address that does not step
	 * with the thread (a Blelloch scan's sweeps, s[PAD(offset * (2 * t +
	 * 1) - 1)] and s[PAD(offset * (2 * t + 2) - 1)]), one of them a
	 * store, stays scalar: vectorised, it is gathers and scatters only,
	 * which LLVM 16's cost model for x86-64 with AVX-512 takes for cheap
	 * and the AMD EPYC of the benchmarks runs slower than the scalar loop
	 * (a Blelloch scan's two sweeps over 512 elements: 1030 ns
	 * vectorised, 555 ns scalar, in a C harness). A loop with a
	 * contiguous access as well keeps its vectors (radix_digits' scatter
	 * of a digit's count, among contiguous loads of the keys: scalar, the
	 * kernel was 1.5x slower), and so does one that reads global memory
	 * (sobel_uchar4's tile loaded from clamped coordinates, i / W and
	 * i % W: scalar, 1.5x slower). The loop gets llvm.loop.vectorize.width
	 * 1; the unroller still takes it.
	 */
	static void keepScattersScalar(Function &F, FunctionAnalysisManager &FAM)
	{
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(F);
		for (Loop *L : LI.getLoopsInPreorder()) {
			if (!L->isInnermost() || !parallelGroups(L))
				continue;
			PredicatedScalarEvolution PSE(SE, *L);
			bool scatter = false, keep = false;
			/* stores of a constant stride S (|S| > 1): each residue of
			 * its elements mod S they cover, by the first such store */
			std::map<int64_t, std::pair<const SCEV *, std::set<int64_t>>> strided;
			for (BasicBlock *BB : L->blocks())
				for (Instruction &I : *BB) {
					Value *p = getLoadStorePointerOperand(&I);
					if (!p || SE.isLoopInvariant(SE.getSCEV(p), L))
						continue;
					/* as the vectoriser finds it consecutive */
					std::optional<int64_t> st = getPtrStride(PSE, getLoadStoreType(&I), p, L, ValueToValueMap(),
										 true, false);
					if ((st && (*st == 1 || *st == -1)) || !sharedAddress(p))
						keep = true;
					else if (!st && isa<StoreInst>(I))
						scatter = true;
					else if (st && isa<StoreInst>(I)) {
						auto &g = strided[*st];
						const SCEV *ps = SE.getSCEV(p);
						const uint64_t sz = F.getParent()->getDataLayout().getTypeStoreSize(getLoadStoreType(&I));
						if (!g.first)
							g.first = ps;
						auto *d = dyn_cast<SCEVConstant>(SE.getMinusSCEV(ps, g.first));
						if (!d || d->getAPInt().getSExtValue() % (int64_t)sz)
							scatter = true;
						else {
							const int64_t n = std::abs(*st);
							g.second.insert(((d->getAPInt().getSExtValue() / (int64_t)sz) % n + n) % n);
						}
					}
				}
			/* an interleaved store group with gaps: LLVM 16 makes it a
			 * scatter (one completeStoreGroups found no loads to fill) */
			for (auto &g : strided)
				if (g.second.second.size() != (size_t)std::abs(g.first))
					scatter = true;
			if (scatter && !keep)
				addStringMetadataToLoop(L, "llvm.loop.vectorize.width", 1);
		}
	}

	/*
	 * @E (i32), whose zero extension a thread loop's address takes, as the
	 * same value computed in i64: adds, shifts and multiplications by a
	 * constant that do not wrap unsigned (nuw) distribute the extension
	 * exactly; a truncated i64 value known below 2^32 is itself; anything
	 * else is extended where it is. Null where @E has nothing to widen.
	 */
	static Value *widenIndex(Value *E, Instruction *at, ScalarEvolution &SE, unsigned depth = 6)
	{
		Type *i64 = Type::getInt64Ty(E->getContext());
		if (auto *k = dyn_cast<ConstantInt>(E))
			return ConstantInt::get(i64, k->getValue().zext(64));
		auto *I = dyn_cast<Instruction>(E);
		if (auto *t = dyn_cast_or_null<TruncInst>(I); t && t->getSrcTy() == i64 &&
		    SE.getUnsignedRangeMax(SE.getSCEV(t->getOperand(0))).ult(APInt(64, 1).shl(32)))
			return t->getOperand(0);
		auto *bo = dyn_cast_or_null<BinaryOperator>(I);
		if (!bo || !depth)
			return nullptr;
		const unsigned op = bo->getOpcode();
		if (op != Instruction::Add && !((op == Instruction::Shl || op == Instruction::Mul) &&
						 isa<ConstantInt>(bo->getOperand(1))))
			return nullptr;
		/* no unsigned wrap: said (nuw), or by the operands' ranges */
		if (!bo->hasNoUnsignedWrap()) {
			const ConstantRange a = SE.getUnsignedRange(SE.getSCEV(bo->getOperand(0))).zeroExtend(64),
					    b = SE.getUnsignedRange(SE.getSCEV(bo->getOperand(1))).zeroExtend(64);
			const ConstantRange r = op == Instruction::Add ? a.add(b) : op == Instruction::Mul ? a.multiply(b) : a.shl(b);
			if (r.isFullSet() || r.getUnsignedMax().uge(APInt(64, 1).shl(32)))
				return nullptr;
		}
		Value *w[2];
		for (int i = 0; i < 2; i++)
			if (!(w[i] = widenIndex(bo->getOperand(i), at, SE, depth - 1)))
				w[i] = new ZExtInst(bo->getOperand(i), i64, bo->getOperand(i)->getName() + ".w", at);
		/* below 2^32 each: neither wraps in 64 bits */
		auto *n = BinaryOperator::Create((Instruction::BinaryOps)op, w[0], w[1], bo->getName() + ".w", at);
		n->setHasNoUnsignedWrap();
		n->setHasNoSignedWrap();
		return n;
	}

	/*
	 * A thread loop's addresses at the zero extension of an i32 index, in
	 * i64. IndVarSimplify widens most; what it left (a chunk's loop of W
	 * threads, regionChunk: `s[2x + A]` and `s[2x + A + 1]` in i32, A the
	 * chunk's padding) the vectoriser cannot step or group: SCEV keeps
	 * zext(2x + A + 1) whole, the two are no constant apart, and the
	 * interleaved pair was gathers and scatters (keepScattersScalar then
	 * left it scalar). Widened, they are one <32 x i32> load and store.
	 */
	static bool widenAddresses(Function &F, FunctionAnalysisManager &FAM)
	{
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(F);
		bool changed = false;
		for (Loop *L : LI.getLoopsInPreorder()) {
			if (!L->isInnermost() || !parallelGroups(L))
				continue;
			for (BasicBlock *BB : L->blocks())
				for (Instruction &I : *BB) {
					auto *gep = dyn_cast_or_null<GetElementPtrInst>(getLoadStorePointerOperand(&I));
					if (!gep || !L->contains(gep))
						continue;
					const unsigned last = gep->getNumOperands() - 1;
					auto *z = dyn_cast<ZExtInst>(gep->getOperand(last));
					if (!z || !z->getSrcTy()->isIntegerTy(32) || !z->getType()->isIntegerTy(64))
						continue;
					/* only where that makes the address step with the
					 * loop: a gather's indices stay 32-bit (widened, one
					 * vpgatherdd was two vpgatherqd) */
					if (isa<SCEVAddRecExpr>(SE.getSCEV(z)))
						continue;
					Value *w = widenIndex(z->getOperand(0), gep, SE);
					if (!w)
						continue;
					auto *ar = dyn_cast<SCEVAddRecExpr>(SE.getSCEV(w));
					if (ar && ar->getLoop() == L) {
						gep->setOperand(last, w);
						changed = true;
					} else
						RecursivelyDeleteTriviallyDeadInstructions(w);
				}
		}
		return changed;
	}

	/*
	 * Sibling accesses at sign- or zero-extended i32 indices. A Blelloch
	 * level's s[PAD(ai)] and s[PAD(bi)] (bi = ai + offset, both padding
	 * terms alike) are s[ext(i)] and s[ext(j)] of i32 sums that SCEV finds
	 * a constant apart, but not once extended: the adds lost the no-wrap
	 * flag that lets it take the extension through them. The thread loop
	 * computed both padded indices, each with its shift, add and
	 * extension, and the vectoriser saw no constant distance between the
	 * two. Where two simple accesses of one block are at gep inbounds T,
	 * B, ext(i) and gep inbounds T, B, ext(j) (one base B, a __shared__
	 * variable smaller than 2^31 bytes, one kind of extension) and j - i is
	 * a constant c in i32 (|c| <= 64: the pairs met), the second is put at
	 * the first's address plus c elements; only before the first
	 * instruction of the block that may not return. Exact: the first
	 * access ran whenever the second runs, so in a run with defined
	 * behaviour both addresses lie in B's variable, less than 2^31 bytes
	 * apart, and two extended indices whose i32 values differ by c (mod
	 * 2^32) then differ by exactly c. scan_blelloch's levels with offsets
	 * 2 to 8 (scalar thread loops) compute one padded index a thread.
	 */
	static bool rebaseSiblings(Function &F, FunctionAnalysisManager &FAM)
	{
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(F);
		const DataLayout &DL = F.getParent()->getDataLayout();
		Type *i8 = Type::getInt8Ty(F.getContext());
		/* the extended i32 index of @g into a small __shared__ variable, or null */
		auto index = [&](GetElementPtrInst *g) -> CastInst * {
			const GlobalVariable *G = g && g->isInBounds() && g->getNumIndices() == 1 ? sharedVariable(g) : nullptr;
			if (!G || DL.getTypeAllocSize(G->getValueType()).getFixedValue() >= (1ull << 31))
				return nullptr;
			auto *x = dyn_cast<CastInst>(g->getOperand(1));
			return x && (isa<SExtInst>(x) || isa<ZExtInst>(x)) && x->getSrcTy()->isIntegerTy(32) ? x : nullptr;
		};
		bool changed = false;
		std::vector<WeakTrackingVH> dead;	/* the addresses replaced (their extensions too, once unused) */
		for (Loop *L : LI.getLoopsInPreorder()) {
			if (!L->isInnermost() || !parallelGroups(L))
				continue;
			for (BasicBlock *BB : L->blocks()) {
				std::vector<GetElementPtrInst *> seen;	/* the addresses of the accesses so far */
				for (Instruction &I : *BB) {
					if (!isGuaranteedToTransferExecutionToSuccessor(&I))
						break;
					auto *ld = dyn_cast<LoadInst>(&I);
					auto *st = dyn_cast<StoreInst>(&I);
					if (!(ld && ld->isSimple()) && !(st && st->isSimple()))
						continue;
					auto *g = dyn_cast<GetElementPtrInst>(getLoadStorePointerOperand(&I));
					CastInst *x = index(g);
					if (!x)
						continue;
					GetElementPtrInst *to = nullptr;
					int64_t c = 0;
					for (GetElementPtrInst *a : seen) {
						auto *ax = cast<CastInst>(a->getOperand(1));
						if (a == g || a->getPointerOperand() != g->getPointerOperand() ||
						    a->getSourceElementType() != g->getSourceElementType() || ax->getOpcode() != x->getOpcode())
							continue;
						auto *d = dyn_cast<SCEVConstant>(
							SE.getMinusSCEV(SE.getSCEV(x->getOperand(0)), SE.getSCEV(ax->getOperand(0))));
						if (d && !d->isZero() && std::abs(d->getAPInt().getSExtValue()) <= 64) {
							to = a;
							c = d->getAPInt().getSExtValue();
							break;
						}
					}
					if (!to) {
						seen.push_back(g);
						continue;
					}
					const int64_t es = (int64_t)DL.getTypeAllocSize(g->getSourceElementType());
					auto *n = GetElementPtrInst::CreateInBounds(
						i8, to, { ConstantInt::get(DL.getIndexType(g->getType()), c * es) }, g->getName() + ".sib", &I);
					I.setOperand(ld ? 0 : 1, n);
					dead.push_back(g);
					changed = true;
				}
			}
		}
		for (WeakTrackingVH &v : dead)
			if (auto *I = dyn_cast_or_null<Instruction>(v))
				RecursivelyDeleteTriviallyDeadInstructions(I);
		return changed;
	}

	/*
	 * A thread loop's interleaved store group with gaps, in __shared__
	 * memory, filled where the thread loaded the gap in the same block: the
	 * value loaded is stored back, and the group is whole (a Blelloch
	 * up-sweep's s[2x + A + 1] += s[2x + A]: one <32 x i32> store where it
	 * was a scatter, or scalar code by keepScattersScalar). Sound in a
	 * thread loop: its iterations are independent (the access groups the
	 * vectoriser trusts already), so no other thread writes a location
	 * this one reads, and nothing in this one writes it between the load
	 * and the store (checked: stores in between must be a constant
	 * distance away with no byte of the slot in theirs).
	 */
	static bool completeStoreGroups(Function &F, FunctionAnalysisManager &FAM)
	{
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(F);
		const DataLayout &DL = F.getParent()->getDataLayout();
		bool changed = false;
		for (Loop *L : LI.getLoopsInPreorder()) {
			if (!L->isInnermost() || !parallelGroups(L))
				continue;
			PredicatedScalarEvolution PSE(SE, *L);
			auto distance = [&](Value *a, Value *b) -> std::optional<int64_t> {
				auto *d = dyn_cast<SCEVConstant>(SE.getMinusSCEV(SE.getSCEV(a), SE.getSCEV(b)));
				if (!d || d->getAPInt().getSignificantBits() > 32)
					return std::nullopt;
				return d->getAPInt().getSExtValue();
			};
			for (BasicBlock *BB : L->blocks()) {
				std::vector<StoreInst *> added;
				for (Instruction &I : *BB) {
					auto *st = dyn_cast<StoreInst>(&I);
					if (!st || !st->isSimple() || std::find(added.begin(), added.end(), st) != added.end() ||
					    !sharedAddress(st->getPointerOperand()))
						continue;
					Type *T = st->getValueOperand()->getType();
					const int64_t sz = (int64_t)DL.getTypeStoreSize(T);
					std::optional<int64_t> stride = getPtrStride(PSE, T, st->getPointerOperand(), L,
										    ValueToValueMap(), true, false);
					if (!stride || std::abs(*stride) < 2 || std::abs(*stride) > 8 || sz != (int64_t)DL.getTypeAllocSize(T))
						continue;
					const int64_t n = std::abs(*stride);
					/* the group's members in this block: stores of T a
					 * constant distance of fewer than n slots from st, by
					 * that distance in slots; the last of them */
					std::set<int64_t> have;
					StoreInst *lastSt = st;
					for (Instruction &J : *BB)
						if (auto *o = dyn_cast<StoreInst>(&J); o && o->isSimple() &&
											o->getValueOperand()->getType() == T)
							if (auto d = distance(o->getPointerOperand(), st->getPointerOperand());
							    d && *d % sz == 0 && std::abs(*d / sz) < n) {
								have.insert(*d / sz);
								if (lastSt->comesBefore(o))
									lastSt = o;
							}
					if (have.size() == (size_t)n)
						continue;
					/* the span the group covers: n consecutive slots from
					 * its lowest member, or up to its highest */
					const int64_t lo = *have.begin(), hi = *have.rbegin();
					if (hi - lo >= n)
						continue;
					/* the last load of T at each slot before the last store */
					std::map<int64_t, LoadInst *> loaded;
					for (Instruction *J = &BB->front(); J != lastSt; J = J->getNextNode())
						if (auto *ld = dyn_cast<LoadInst>(J); ld && ld->isSimple() && ld->getType() == T)
							if (auto d = distance(ld->getPointerOperand(), st->getPointerOperand());
							    d && *d % sz == 0)
								loaded[*d / sz] = ld;
					/* the slots of a window of n from hi - n + 1 .. lo not
					 * stored: each from its load, with no store to its
					 * bytes after it */
					bool ok = false;
					std::vector<std::pair<int64_t, LoadInst *>> fill;
					for (int64_t w = hi - n + 1; !ok && w <= lo; w++) {
						ok = true;
						fill.clear();
						for (int64_t r = w; ok && r < w + n; r++) {
							if (have.count(r))
								continue;
							auto it = loaded.find(r);
							LoadInst *src = it == loaded.end() ? nullptr : it->second;
							ok = src != nullptr;
							for (Instruction *J = src ? src->getNextNode() : nullptr; ok && J != lastSt;
							     J = J->getNextNode()) {
								if (!J->mayWriteToMemory())
									continue;
								auto *o = dyn_cast<StoreInst>(J);
								auto d = o ? distance(o->getPointerOperand(), src->getPointerOperand())
									   : std::nullopt;
								/* its bytes [d, d + its size) clear of the slot's [0, sz) */
								ok = o && d &&
								     (*d >= sz ||
								      *d + (int64_t)DL.getTypeStoreSize(o->getValueOperand()->getType()) <= 0);
							}
							if (ok)
								fill.push_back({ r, src });
						}
					}
					if (!ok || fill.empty())
						continue;
					for (auto &[r, src] : fill) {
						auto *ns = new StoreInst(src, src->getPointerOperand(), false, src->getAlign(),
									 lastSt->getNextNode());
						/* the slot's own type and scopes (the load's), the loop's access group */
						ns->copyMetadata(*src, { LLVMContext::MD_tbaa, LLVMContext::MD_alias_scope,
									 LLVMContext::MD_noalias });
						ns->copyMetadata(*lastSt, { LLVMContext::MD_access_group });
						added.push_back(ns);
					}
					changed = true;
				}
			}
		}
		return changed;
	}

	/* the instructions of the blocks that @S alone leads to from @BB (in @L) */
	static unsigned sideWork(BasicBlock *BB, BasicBlock *S, Loop *L, DominatorTree &DT)
	{
		if (S->getSinglePredecessor() != BB || !L->contains(S))
			return 0;
		SmallVector<BasicBlock *, 8> dom;
		DT.getDescendants(S, dom);
		unsigned n = 0;
		for (BasicBlock *D : dom)
			if (L->contains(D))
				n += D->size();
		return n;
	}

	/*
	 * Guard versioning. A bounds test on a value that steps with the
	 * thread (`if (i < n)`, `base + t < n ? in[base + t] : 0`, i =
	 * blockIdx.x * B + threadIdx.x + C) is true for every thread of every
	 * block but the last; in the thread loop the vectoriser made it a
	 * mask, and each guarded access a masked load or store (warp_scan's
	 * add_offsets 13.5 ms, the same loop unguarded 4.1 ms, one worker).
	 * Such a test, an affine value (ScalarEvolution: start + k * step in
	 * iteration k, step a constant) against one the same in every
	 * iteration, has one value in every iteration when it has it in the
	 * first and the last and the value does not wrap on the way (checked
	 * in 128 bits: the last iteration's value computed there fits the
	 * test's type). The loop is copied, the copy has each test replaced
	 * by the value that leads to the work (the side whose blocks only it
	 * reaches holds more instructions), and the preheader runs the copy
	 * when every test has that value at both ends, else the loop as it
	 * was. The preheader divides only by what the code before it divided
	 * by (the block coordinates, b % gridDim.x).
	 */
	static bool versionGuards(Function &F, FunctionAnalysisManager &FAM)
	{
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		DominatorTree &DT = FAM.getResult<DominatorTreeAnalysis>(F);
		ScalarEvolution &SE = FAM.getResult<ScalarEvolutionAnalysis>(F);
		struct Guard {
			BranchInst *br;
			ICmpInst::Predicate p;
			const SCEVAddRecExpr *ar;
			const SCEV *bound;
			bool want;
		};
		std::vector<std::pair<Loop *, std::vector<Guard>>> todo;
		/* thread loops with a preheader and dedicated exits, as the
		 * vectoriser makes them anyway right after: the row loop of a
		 * region_allu driver's last row (threads up to the block's last,
		 * run apart: the only row of a 1-D block) came here without them,
		 * so its tests stayed masks while the copy made for the other
		 * rows never ran */
		bool simplified = false;
		for (Loop *L : LI.getLoopsInPreorder())
			if (L->isInnermost() && parallelGroups(L) && !L->isLoopSimplifyForm())
				simplified |= simplifyLoop(L, &DT, &LI, &SE, &FAM.getResult<AssumptionAnalysis>(F), nullptr, false);
		for (Loop *L : LI.getLoopsInPreorder()) {
			if (!L->isInnermost() || !parallelGroups(L) || !L->getLoopPreheader() || !L->getExitBlock() ||
			    !L->getExitingBlock() || !L->isLoopSimplifyForm())
				continue;
			const SCEV *btc = SE.getBackedgeTakenCount(L);
			if (!isa<SCEVCouldNotCompute>(btc) && btc->getType()->getIntegerBitWidth() > 64)
				continue;
			if (isa<SCEVCouldNotCompute>(btc))
				continue;
			unsigned size = 0;
			std::vector<Guard> gs;
			for (BasicBlock *BB : L->blocks()) {
				size += BB->size();
				auto *br = dyn_cast<BranchInst>(BB->getTerminator());
				auto *ic = br && br->isConditional() ? dyn_cast<ICmpInst>(br->getCondition()) : nullptr;
				if (!ic || !ic->isRelational() || L->isLoopExiting(BB) ||
				    !ic->getOperand(0)->getType()->isIntegerTy())
					continue;
				const SCEV *a = SE.getSCEV(ic->getOperand(0)), *b = SE.getSCEV(ic->getOperand(1));
				ICmpInst::Predicate p = ic->getPredicate();
				if (!SE.isLoopInvariant(b, L)) {
					std::swap(a, b);
					p = ICmpInst::getSwappedPredicate(p);
				}
				auto *ar = dyn_cast<SCEVAddRecExpr>(a);
				if (!ar || ar->getLoop() != L || !ar->isAffine() || !SE.isLoopInvariant(b, L) ||
				    !isa<SCEVConstant>(ar->getStepRecurrence(SE)) ||
				    ar->getType()->getIntegerBitWidth() > 64)
					continue;
				const unsigned w0 = sideWork(BB, br->getSuccessor(0), L, DT),
					       w1 = sideWork(BB, br->getSuccessor(1), L, DT);
				if (w0 == w1)
					continue;
				gs.push_back({ br, p, ar, b, w0 > w1 });
			}
			if (!gs.empty() && size <= 4000)
				todo.push_back({ L, gs });
		}
		bool changed = simplified;
		for (auto &[L, gs] : todo) {
			BasicBlock *PH = L->getLoopPreheader();
			Instruction *at = PH->getTerminator();
			const SCEV *btc = SE.getBackedgeTakenCount(L);
			SCEVExpander ex(SE, F.getParent()->getDataLayout(), "vgpu.guard");
			/* what the preheader may compute: a division only by a
			 * non-zero constant or by what code before it divided by
			 * (the driver's block coordinates, b % gridDim.x) */
			std::set<const SCEV *> divisors;
			for (Instruction &I : instructions(F))
				if ((I.getOpcode() == Instruction::UDiv || I.getOpcode() == Instruction::URem) &&
				    DT.dominates(&I, at))
					divisors.insert(SE.getSCEV(I.getOperand(1)));
			auto safe = [&](const SCEV *S) {
				return SE.dominates(S, PH) && !SCEVExprContains(S, [&](const SCEV *x) {
					auto *d = dyn_cast<SCEVUDivExpr>(x);
					return d && !divisors.count(d->getRHS()) && !SE.isKnownNonZero(d->getRHS());
				});
			};
			std::vector<Guard> use;
			for (Guard &g : gs)
				if (safe(g.ar->getStart()) && safe(btc) && safe(g.bound))
					use.push_back(g);
			if (use.empty())
				continue;
			formLCSSA(*L, DT, &LI, &SE);
			IRBuilder<> b(at);
			Value *ok = b.getTrue();
			Value *n = ex.expandCodeFor(btc, btc->getType(), at);
			n = IRBuilder<>(at).CreateFreeze(n);
			for (Guard &g : use) {
				/* the value at the last iteration, in 128 bits: where it
				 * is in the test's range, the value moved there without
				 * wrapping, and the test is monotonic */
				Type *T = g.ar->getType(), *W = b.getInt128Ty();
				const bool sgn = ICmpInst::isSigned(g.p);
				Value *v0 = ex.expandCodeFor(g.ar->getStart(), T, at);
				Value *vb = ex.expandCodeFor(g.bound, T, at);
				b.SetInsertPoint(at);
				v0 = b.CreateFreeze(v0);
				vb = b.CreateFreeze(vb);
				const APInt &step = cast<SCEVConstant>(g.ar->getStepRecurrence(SE))->getAPInt();
				Value *w1 = b.CreateAdd(sgn ? b.CreateSExt(v0, W) : b.CreateZExt(v0, W),
							b.CreateMul(b.CreateZExt(n, W), ConstantInt::get(W, step.sext(128))));
				Value *v1 = b.CreateTrunc(w1, T);
				Value *fits = b.CreateICmpEQ(sgn ? b.CreateSExt(v1, W) : b.CreateZExt(v1, W), w1);
				Value *c0 = b.CreateICmp(g.p, v0, vb), *c1 = b.CreateICmp(g.p, v1, vb);
				ok = b.CreateAnd(ok, fits);
				Value *both = g.want ? b.CreateAnd(c0, c1) : b.CreateNot(b.CreateOr(c0, c1));
				ok = b.CreateAnd(ok, both);
			}
			ok = b.CreateFreeze(ok);
			BasicBlock *Exit = L->getExitBlock();
			BasicBlock *NPH = SplitBlock(PH, PH->getTerminator(), &DT, &LI);
			ValueToValueMapTy VM;
			SmallVector<BasicBlock *, 16> blocks;
			Loop *NL = cloneLoopWithPreheader(NPH, PH, L, VM, ".g", &LI, &DT, blocks);
			remapInstructionsInBlocks(blocks, VM);
			for (PHINode &pn : Exit->phis()) {
				std::vector<std::pair<Value *, BasicBlock *>> in;
				for (unsigned i = 0; i < pn.getNumIncomingValues(); i++)
					if (L->contains(pn.getIncomingBlock(i)))
						in.push_back({ pn.getIncomingValue(i), pn.getIncomingBlock(i) });
				for (auto &[v, bb] : in) {
					auto it = VM.find(v);
					pn.addIncoming(it != VM.end() ? (Value *)it->second : v, cast<BasicBlock>(VM[bb]));
				}
			}
			if (L->contains(DT.getNode(Exit)->getIDom()->getBlock()))
				DT.changeImmediateDominator(Exit, PH);
			PH->getTerminator()->eraseFromParent();
			BranchInst::Create(cast<BasicBlock>(VM[NPH]), NPH, ok, PH);
			/* the copy: each test its value, the other side gone */
			for (Guard &g : use) {
				auto *cb = cast<BranchInst>(VM[g.br]);
				BasicBlock *dead = cb->getSuccessor(g.want ? 1 : 0);
				dead->removePredecessor(cb->getParent());
				BranchInst::Create(cb->getSuccessor(g.want ? 0 : 1), cb);
				cb->eraseFromParent();
			}
			std::set<BasicBlock *> live;
			std::vector<BasicBlock *> work{ NL->getHeader() };
			while (!work.empty()) {
				BasicBlock *BB = work.back();
				work.pop_back();
				if (!NL->contains(BB) || !live.insert(BB).second)
					continue;
				for (BasicBlock *S : successors(BB))
					work.push_back(S);
			}
			SmallVector<BasicBlock *, 8> gone;
			for (BasicBlock *BB : NL->blocks())
				if (!live.count(BB))
					gone.push_back(BB);
			for (BasicBlock *BB : gone) {
				for (BasicBlock *S : successors(BB))
					if (live.count(S))
						S->removePredecessor(BB);
				LI.removeBlock(BB);
			}
			for (BasicBlock *BB : gone)
				BB->dropAllReferences();
			for (BasicBlock *BB : gone)
				BB->eraseFromParent();
			DT.recalculate(F);
			changed = true;
		}
		return changed;
	}
};

/*
 * At the end of the pipeline, loops with nothing left but
 * llvm.experimental.noalias.scope.decl calls go. A thread loop whose work
 * LLVM moved out or proved dead (its uniform stores hoisted, its loads
 * unused) keeps the declarations of the scopes its inlined __restrict__
 * calls had, while those scopes are used elsewhere in the function; the
 * calls count as side effects, so nothing deletes the loop and it runs
 * empty, 32 times a 256-thread region after the unroller. A declaration
 * only tells passes that copy code to copy its scope too, and none of
 * those runs after this point (code generation drops the calls): here
 * they are taken out of loops that do nothing else, and LoopDeletion
 * removes those loops.
 */
struct VgpuEmptyLoopPass : PassInfoMixin<VgpuEmptyLoopPass> {
	/* the scope declarations of @L into @decls, if nothing else there has a side effect */
	static void onlyScopeDecls(Loop *L, SmallSetVector<Instruction *, 8> &decls)
	{
		SmallVector<Instruction *, 8> d;
		for (BasicBlock *BB : L->blocks())
			for (Instruction &I : *BB)
				if (isa<NoAliasScopeDeclInst>(&I))
					d.push_back(&I);
				else if (I.mayHaveSideEffects())
					return;
		decls.insert(d.begin(), d.end());
	}

	PreservedAnalyses run(Function &F, FunctionAnalysisManager &FAM)
	{
		LoopInfo &LI = FAM.getResult<LoopAnalysis>(F);
		SmallSetVector<Instruction *, 8> decls;
		for (Loop *L : LI.getLoopsInPreorder())
			onlyScopeDecls(L, decls);
		if (decls.empty())
			return PreservedAnalyses::all();
		for (Instruction *I : decls)
			I->eraseFromParent();
		FunctionPassManager FPM;
		FPM.addPass(createFunctionToLoopPassAdaptor(LoopDeletionPass()));
		FPM.addPass(SimplifyCFGPass());
		FAM.invalidate(F, PreservedAnalyses::allInSet<CFGAnalyses>());
		FPM.run(F, FAM);
		return PreservedAnalyses::none();
	}
};

/*
 * After the vectoriser, a gather or scatter whose lanes all name one address
 * becomes one scalar access. A value the same in every thread of a row, read
 * under a condition that differs between them (in_s[ty] or in[i] with i =
 * blockIdx.y * BS + ty, under `j < nout`), is a masked load of a uniform
 * address, which LLVM 16's vectoriser makes a gather of that address in
 * every lane: about a row's whole cost on AVX-512 (backprop_layer's two
 * kernels had their time after their gathers). Any lane active, the address
 * is read (written) by some thread anyway: one load under a test of the
 * mask, broadcast, the inactive lanes keeping the pass-through; a scatter
 * stores the highest active lane's value (overlapping lanes of a scatter are
 * ordered from the lowest to the highest).
 *
 * The lanes name one address also where the vector of addresses is not a
 * splat but is made from an induction of the loop so that they cannot
 * differ: VF consecutive indices b + j whose first b is a multiple of VF
 * (the vectoriser's induction of the thread loop: it starts at <0, 1, ..>,
 * or in the epilogue at the main loop's resume value, a multiple of its VF,
 * or'ed with <0, 1, ..>, and adds a splat, a multiple of VF, each trip),
 * shifted right by at least log2(VF), then combined lane by lane with
 * splats and such values: `warp_total[warp - 1]` and `warp_total[warp]`
 * with warp = threadIdx.x >> 5 (warp_scan: a 16-lane gather of one address
 * per 16 threads, and a scatter of at most one lane). And a gather or
 * scatter whose mask has at most one lane set - a test that one of VF
 * consecutive indices (of a type of at least log2(VF) bits) passes, `(x &
 * M) == C` with M + 1 a power of two >= VF or `x == C`, or a conjunction
 * with one - is that lane's scalar access under a test of the mask (`if
 * (lane == 0) y[row] = sum` with row = (blockIdx.x * blockDim.x +
 * threadIdx.x) >> 5, not known to be one address a vector: spmv_csr_warp).
 * Its address (and a scatter's value) is computed for that lane by scalar
 * copies of the binary operations, address computations and casts that
 * keep lanes it is made of, from the induction's first lane plus the
 * lane's number; what is made otherwise is taken out of the vector. A
 * gather or scatter costs about the same whatever its mask (~14 TSC cycles
 * on the benchmarks' EPYC), a scalar access and its test a few.
 * (warpUniform and regionChunk prove the same of a warp's shifted index
 * before the vectoriser, on the scalar thread loop; these read the vector
 * code the vectoriser made of it.)
 */
struct VgpuSplatMemPass : PassInfoMixin<VgpuSplatMemPass> {
	enum { DEPTH = 8 };

	/* @c's lanes c0, c0 + 1, ..: c0's trailing zero bits into @tz */
	static bool stepConstant(Value *c, unsigned &tz)
	{
		auto *cv = dyn_cast<ConstantDataVector>(c);
		if (!cv || !cv->getElementType()->isIntegerTy())
			return false;
		const APInt c0 = cv->getElementAsAPInt(0);
		for (unsigned j = 1; j < cv->getNumElements(); j++)
			if (cv->getElementAsAPInt(j) != c0 + j)
				return false;
		tz = c0.countTrailingZeros();	/* the width where c0 is 0 */
		return true;
	}

	/* whether cast @c maps lane j of its operand to lane j (not a
	 * bitcast that regroups the bits into other lanes) */
	static bool laneWise(CastInst *c)
	{
		auto *from = dyn_cast<FixedVectorType>(c->getSrcTy());
		return from && from->getNumElements() == cast<FixedVectorType>(c->getType())->getNumElements();
	}

	/* whether @v's lanes are b, b + 1, .. (modulo 2^width): b's known
	 * trailing zero bits into @tz */
	static bool stepLanes(Value *v, unsigned &tz, const DataLayout &DL, unsigned depth = 0)
	{
		if (stepConstant(v, tz))
			return true;
		auto *I = dyn_cast<Instruction>(v);
		if (!I || depth > DEPTH)
			return false;
		using namespace PatternMatch;
		const unsigned lg = Log2_32_Ceil(cast<FixedVectorType>(v->getType())->getNumElements());
		Value *x, *y;
		unsigned t;
		/* the trailing zero bits known of a splat's value, or -1 */
		auto splatTz = [&](Value *s) -> int {
			Value *e = getSplatValue(s);
			return e ? (int)computeKnownBits(e, DL).countMinTrailingZeros() : -1;
		};
		/* a splat plus steps, either way round */
		if (match(I, m_Add(m_Value(x), m_Value(y)))) {
			for (int k = 0; k < 2; k++, std::swap(x, y))
				if (const int st = splatTz(y); st >= 0 && stepLanes(x, t, DL, depth + 1)) {
					tz = std::min(t, (unsigned)st);
					return true;
				}
			return false;
		}
		/* splat(b) | <0, 1, ..>, b's low bits known clear (the epilogue's
		 * induction from the main loop's resume value) */
		if (match(I, m_Or(m_Value(x), m_Value(y)))) {
			for (int k = 0; k < 2; k++, std::swap(x, y))
				if (const int st = splatTz(y);
				    st >= (int)lg && stepConstant(x, t) && t == x->getType()->getScalarSizeInBits()) {
					tz = st;
					return true;
				}
			return false;
		}
		/* the vectoriser's induction: it starts with steps, its latch
		 * adds a splat (each value the start plus splats) */
		if (auto *phi = dyn_cast<PHINode>(I); phi && phi->getNumIncomingValues() == 2) {
			for (unsigned k = 0; k < 2; k++) {
				Value *st = phi->getIncomingValue(k), *nx = phi->getIncomingValue(1 - k);
				Value *a, *b;
				if (isa<PHINode>(st) || !stepLanes(st, t, DL, depth + 1) ||
				    !match(nx, m_Add(m_Value(a), m_Value(b))))
					continue;
				if (b == phi)
					std::swap(a, b);
				const int s = a == phi ? splatTz(b) : -1;
				if (s < 0)
					continue;
				tz = std::min(t, (unsigned)s);
				return true;
			}
			return false;
		}
		/* the same lanes in another width: narrower always (modulo its
		 * width), wider where b is a multiple of 2^lg (no lane wraps) and,
		 * sign-extended, where b's lanes have a bit above those lg (no
		 * lane crosses the sign) */
		if (isa<ZExtInst>(I) || isa<SExtInst>(I) || isa<TruncInst>(I)) {
			const unsigned w = I->getOperand(0)->getType()->getScalarSizeInBits();
			if (!stepLanes(I->getOperand(0), t, DL, depth + 1) || (!isa<TruncInst>(I) && t < lg) ||
			    (isa<SExtInst>(I) && w <= lg))
				return false;
			tz = std::min(t, I->getType()->getScalarSizeInBits());
			return true;
		}
		return false;
	}

	/* whether @v is the same in every lane */
	static bool sameLanes(Value *v, const DataLayout &DL, unsigned depth = 0)
	{
		if (!v->getType()->isVectorTy() || getSplatValue(v))
			return true;
		auto *I = dyn_cast<Instruction>(v);
		if (!I || depth > DEPTH || isa<PHINode>(I))
			return false;
		using namespace PatternMatch;
		const unsigned vf = cast<FixedVectorType>(I->getType())->getNumElements();
		Value *x;
		const APInt *sh;
		unsigned tz;
		/* (b + j) >> s, b a multiple of VF and 2^s >= VF: one value */
		const unsigned lg = Log2_32_Ceil(vf);
		if ((match(I, m_LShr(m_Value(x), m_APInt(sh))) || match(I, m_AShr(m_Value(x), m_APInt(sh)))) &&
		    sh->uge(lg) && stepLanes(x, tz, DL) && tz >= lg)
			return true;
		/* lane by lane of operands the same in every lane (a scalar one
		 * is) */
		if (auto *c = dyn_cast<CastInst>(I); c && !laneWise(c))
			return false;
		if (isa<BinaryOperator>(I) || isa<CastInst>(I) || isa<GetElementPtrInst>(I) || isa<SelectInst>(I) ||
		    isa<CmpInst>(I)) {
			for (Value *op : I->operands())
				if (!sameLanes(op, DL, depth + 1))
					return false;
			return true;
		}
		return false;
	}

	/* whether at most one lane of the mask @m is set */
	static bool oneLane(Value *m, const DataLayout &DL, unsigned depth = 0)
	{
		using namespace PatternMatch;
		if (depth > DEPTH)
			return false;
		Value *x, *y;
		const APInt *c;
		unsigned tz;
		ICmpInst::Predicate pred;
		/* VF consecutive indices: one equals c, and one has each value
		 * of its low bits where the mask of those has 2^k >= VF */
		if (match(m, m_ICmp(pred, m_Value(x), m_APInt(c))) && pred == ICmpInst::ICMP_EQ) {
			const unsigned lg = Log2_32_Ceil(cast<FixedVectorType>(m->getType())->getNumElements());
			const APInt *low;
			if (match(x, m_And(m_Value(y), m_APInt(low))) && low->isMask() && low->countTrailingOnes() >= lg)
				x = y;
			/* (distinct where 2^width >= VF) */
			return x->getType()->getScalarSizeInBits() >= lg && stepLanes(x, tz, DL);
		}
		if (match(m, m_LogicalAnd(m_Value(x), m_Value(y))))
			return oneLane(x, DL, depth + 1) || oneLane(y, DL, depth + 1);
		return false;
	}

	/* lane @l (an integer) of @v: a splat's value, an induction's (or a
	 * constant's) first lane plus l, a scalar copy of a lane-wise
	 * operation on its operands' lanes l, else taken out of the vector
	 * (through memory, on x86); @done: the lanes computed so far */
	static Value *scalarLane(IRBuilder<> &B, Value *v, Value *l, const DataLayout &DL,
				 DenseMap<Value *, Value *> &done, unsigned depth = 0)
	{
		if (!v->getType()->isVectorTy())
			return v;
		if (Value *s = getSplatValue(v))
			return s;
		if (Value *r = done.lookup(v))
			return r;
		unsigned tz;
		auto *I = dyn_cast<Instruction>(v);
		auto *c = dyn_cast_or_null<CastInst>(I);
		Value *r;
		if ((isa<Constant>(v) && stepConstant(v, tz)) ||
		    (isa<PHINode>(v) && v->getType()->isIntOrIntVectorTy() && stepLanes(v, tz, DL)))
			r = B.CreateAdd(B.CreateExtractElement(v, (uint64_t)0),
					B.CreateZExtOrTrunc(l, v->getType()->getScalarType()));
		else if (I && depth <= DEPTH && (isa<BinaryOperator>(I) || isa<GetElementPtrInst>(I) || (c && laneWise(c)))) {
			Instruction *n = I->clone();
			for (Use &u : n->operands())
				u.set(scalarLane(B, u.get(), l, DL, done, depth + 1));
			if (auto *g = dyn_cast<GetElementPtrInst>(n))	/* its type from its scalar operands */
				n->mutateType(GetElementPtrInst::getGEPReturnType(g->getSourceElementType(),
										   g->getPointerOperand(),
										   SmallVector<Value *, 4>(g->indices())));
			else
				n->mutateType(I->getType()->getScalarType());
			r = B.Insert(n);
		} else
			r = B.CreateExtractElement(v, l);
		done[v] = r;
		return r;
	}

	/* how a gather or scatter's lanes name their addresses */
	enum Kind { MANY, SPLAT, SAME, ONE };

	/* @II's kind; a splat's address into @p */
	static Kind addresses(IntrinsicInst *II, Value *&p)
	{
		const Intrinsic::ID id = II->getIntrinsicID();
		if (id != Intrinsic::masked_gather && id != Intrinsic::masked_scatter)
			return MANY;
		const bool gather = id == Intrinsic::masked_gather;
		Value *ptrs = II->getArgOperand(gather ? 0 : 1);
		const DataLayout &DL = II->getModule()->getDataLayout();
		if ((p = getSplatValue(ptrs)))
			return SPLAT;
		if (sameLanes(ptrs, DL))
			return SAME;
		return oneLane(II->getArgOperand(gather ? 2 : 3), DL) ? ONE : MANY;
	}

	static void copyMemMD(Instruction *to, Instruction *from)
	{
		static const unsigned kinds[] = { LLVMContext::MD_tbaa, LLVMContext::MD_alias_scope,
						  LLVMContext::MD_noalias, LLVMContext::MD_nontemporal };
		for (unsigned k : kinds)
			if (MDNode *md = from->getMetadata(k))
				to->setMetadata(k, md);
	}

	/* @p: the address (SPLAT), else taken from the vector of addresses */
	static void lower(IntrinsicInst *II, Kind k, Value *p)
	{
		const bool gather = II->getIntrinsicID() == Intrinsic::masked_gather;
		/* gather(ptrs, align, mask, passthru), scatter(val, ptrs, align, mask) */
		Value *mask = II->getArgOperand(gather ? 2 : 3), *ptrs = II->getArgOperand(gather ? 0 : 1);
		const Align al(cast<ConstantInt>(II->getArgOperand(gather ? 1 : 2))->getZExtValue());
		auto *VT = cast<FixedVectorType>(gather ? II->getType() : II->getArgOperand(0)->getType());
		const unsigned n = VT->getNumElements();
		IRBuilder<> B(II);
		Value *any = B.CreateOrReduce(mask);

		Instruction *then = SplitBlockAndInsertIfThen(any, II, false);
		BasicBlock *head = then->getParent()->getSinglePredecessor();
		B.SetInsertPoint(then);
		const DataLayout &DL = II->getModule()->getDataLayout();
		Value *lane = nullptr;	/* ONE's: the lowest active lane, the only one */
		DenseMap<Value *, Value *> done;
		if (k == SAME)	/* lane 0: its address is the others' (poison with them) */
			p = B.CreateExtractElement(ptrs, (uint64_t)0);
		else if (k == ONE)
			p = scalarLane(B, ptrs,
				       lane = B.CreateBinaryIntrinsic(Intrinsic::cttz,
								      B.CreateBitCast(mask, B.getIntNTy(n)), B.getTrue()),
				       DL, done);
		if (gather) {
			Value *pass = II->getArgOperand(3);
			LoadInst *ld = B.CreateAlignedLoad(VT->getElementType(), p, al);
			copyMemMD(ld, II);
			B.SetInsertPoint(II);
			PHINode *v = B.CreatePHI(VT->getElementType(), 2);
			v->addIncoming(ld, then->getParent());
			v->addIncoming(PoisonValue::get(VT->getElementType()), head);
			Value *r = B.CreateVectorSplat(VT->getNumElements(), v);
			if (!isa<UndefValue>(pass))	/* poison is undef too */
				r = B.CreateSelect(mask, r, pass);
			II->replaceAllUsesWith(r);
		} else {
			Value *val = II->getArgOperand(0);
			Value *s = lane ? scalarLane(B, val, lane, DL, done) : getSplatValue(val);
			if (!s) {	/* the highest active lane's */
				Value *bits = B.CreateBitCast(mask, B.getIntNTy(n));
				Value *lz = B.CreateBinaryIntrinsic(Intrinsic::ctlz, bits, B.getTrue());
				s = B.CreateExtractElement(val, B.CreateSub(B.getIntN(n, n - 1), lz));
			}
			copyMemMD(B.CreateAlignedStore(s, p, al), II);
		}
		II->eraseFromParent();
	}

	PreservedAnalyses run(Function &F, FunctionAnalysisManager &)
	{
		SmallVector<std::tuple<IntrinsicInst *, Kind, Value *>, 8> work;
		for (Instruction &I : instructions(F))
			if (auto *II = dyn_cast<IntrinsicInst>(&I)) {
				Value *p = nullptr;
				if (Kind k = addresses(II, p); k != MANY)
					work.push_back({ II, k, p });
			}
		if (work.empty())
			return PreservedAnalyses::all();
		for (auto &[II, k, p] : work)
			lower(II, k, p);
		return PreservedAnalyses::none();
	}
};

/*
 * After the vectoriser, the four components of a thread loop's float4 (int4)
 * loads. Sixteen threads' float4s are one <64 x float> load, and each
 * component the vectoriser takes out of it (x: lanes 0, 4, .., 60) is a
 * shuffle that X86 lowers on its own: three permutes from four registers,
 * twelve for the four, per operand (gemv_warp's `a.x * x.x + ...`: 24
 * permutes for 16 threads, most of its loop). Taken together they are a
 * transpose in two steps: each pair of registers gives its threads' (x, y)
 * and (z, w) pairs, two permutes of two registers; each component then one
 * permute of two of those: eight for the four, seven for three, five for
 * two. Shuffles only: the values and their order are the same.
 */
struct VgpuTransposePass : PassInfoMixin<VgpuTransposePass> {
	enum : unsigned { F = 4, N = 16 };	/* components; threads (a register of 32-bit lanes) */

	/* which component @sv takes out of its <64 x T> operand, or -1 */
	static int component(ShuffleVectorInst *sv)
	{
		auto *in = dyn_cast<FixedVectorType>(sv->getOperand(0)->getType());
		auto *out = dyn_cast<FixedVectorType>(sv->getType());
		if (!in || !out || in->getNumElements() != F * N || out->getNumElements() != N ||
		    in->getElementType()->getScalarSizeInBits() != 32 || !isa<UndefValue>(sv->getOperand(1)))
			return -1;
		ArrayRef<int> m = sv->getShuffleMask();
		const int k = m[0];
		return k >= 0 && k < (int)F && m == ArrayRef<int>(createStrideMask(k, F, N)) ? k : -1;
	}

	PreservedAnalyses run(Function &Fn, FunctionAnalysisManager &)
	{
		MapVector<Value *, std::array<SmallVector<ShuffleVectorInst *, 2>, F>> groups;
		for (Instruction &I : instructions(Fn))
			if (auto *sv = dyn_cast<ShuffleVectorInst>(&I); sv && isa<Instruction>(sv->getOperand(0)))
				if (int k = component(sv); k >= 0)
					groups[sv->getOperand(0)][k].push_back(sv);
		bool changed = false;
		for (auto &[v, comp] : groups) {
			unsigned used = 0;
			for (unsigned k = 0; k < F; k++)
				used += !comp[k].empty();
			if (used < 2)	/* one component: X86's own three permutes */
				continue;
			auto *def = cast<Instruction>(v);
			IRBuilder<> b(def->getParent(), isa<PHINode>(def) ? def->getParent()->getFirstInsertionPt() :
									    std::next(def->getIterator()));
			/* the four registers: threads 4j .. 4j + 3 each */
			Value *q[F];
			for (unsigned j = 0; j < F; j++)
				q[j] = b.CreateShuffleVector(v, createSequentialMask(j * N, N, 0));
			/* step one, half h of registers 2p and 2p + 1: their eight
			 * threads' components 2h and 2h + 1, thread by thread */
			Value *pair[2][2] = {};
			auto half = [&](unsigned p, unsigned h) {
				if (pair[p][h])
					return pair[p][h];
				SmallVector<int, N> m;
				for (unsigned r = 0; r < 2; r++)
					for (unsigned t = 0; t < N / F; t++)
						for (unsigned c = 0; c < 2; c++)
							m.push_back((int)(r * N + t * F + 2 * h + c));
				return pair[p][h] = b.CreateShuffleVector(q[2 * p], q[2 * p + 1], m);
			};
			/* step two, component k: every other lane of both pairs' half,
			 * lanes c, c + 2, .. of the two (the shuffles it replaces go
			 * after: the builder's place may be one of them) */
			Value *xs[F] = {};
			for (unsigned k = 0; k < F; k++) {
				if (comp[k].empty())
					continue;
				const unsigned h = k / 2, c = k % 2;
				xs[k] = b.CreateShuffleVector(half(0, h), half(1, h), createStrideMask(c, 2, N));
			}
			for (unsigned k = 0; k < F; k++)
				for (ShuffleVectorInst *sv : comp[k]) {
					sv->replaceAllUsesWith(xs[k]);
					sv->eraseFromParent();
				}
			changed = true;
		}
		return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
	}
};

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo()
{
	return { LLVM_PLUGIN_API_VERSION, "vgpu-cpu", "1", [](PassBuilder &PB) {
			 PB.registerPipelineStartEPCallback(
				 [](ModulePassManager &MPM, OptimizationLevel) { MPM.addPass(VgpuCpuPass()); });
			 PB.registerVectorizerStartEPCallback(
				 [](FunctionPassManager &FPM, OptimizationLevel) { FPM.addPass(VgpuThreadLoopPass()); });
			 PB.registerOptimizerLastEPCallback([](ModulePassManager &MPM, OptimizationLevel) {
				 MPM.addPass(createModuleToFunctionPassAdaptor(VgpuSplatMemPass()));
				 MPM.addPass(createModuleToFunctionPassAdaptor(VgpuTransposePass()));
				 MPM.addPass(createModuleToFunctionPassAdaptor(VgpuEmptyLoopPass()));
			 });
		 } };
}

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vgpu: per-guest accounting of GPU contexts, device memory, long-term pinned
 * host memory and GPU time.
 *
 * Two interfaces:
 *  - ioctls on an open /dev/vgpu (the data plane, used by hypervisor
 *    processes through libvgpu): one open file is one session, attached to
 *    one guest;
 *  - the generic netlink family "vgpu" (the control plane, used by
 *    administrators through vgpuctl): guests, quotas, statistics, events.
 *
 * Conventions: every ioctl argument starts with @size and @flags. The kernel
 * copies min(@size, sizeof(its struct)) bytes; a @size shorter than the last
 * mandatory field is EINVAL, trailing bytes past the kernel's struct must be
 * zero (else E2BIG); a @size above VGPU_ARG_SIZE_MAX is E2BIG. Unknown @flags
 * bits and non-zero reserved fields are EINVAL. New features come as new
 * commands, never as versioned structs.
 */
#ifndef _UAPI_LINUX_VGPU_H
#define _UAPI_LINUX_VGPU_H

#include <linux/types.h>
#include <linux/ioctl.h>

/** VGPU_API_VERSION - version reported by VGPU_IOC_VERSION */
#define VGPU_API_VERSION	3

/** VGPU_ARG_SIZE_MAX - the largest @size an ioctl argument may declare */
#define VGPU_ARG_SIZE_MAX	4096

/** VGPU_NAME_MAX - size of a guest name buffer, NUL included */
#define VGPU_NAME_MAX		32

/** VGPU_LIMIT_UNLIMITED - a limit value meaning "no limit" */
#define VGPU_LIMIT_UNLIMITED	(~(__u64)0)

/**
 * enum vgpu_resource - the resources of the ledger
 * @VGPU_RES_MEMORY: device memory, bytes
 * @VGPU_RES_PINNED: long-term pinned host memory, bytes
 * @VGPU_RES_CONTEXTS: GPU contexts, count
 * @VGPU_RES_COMPUTE: device time. The limit is a share of each of the guest's
 *	periods in percent (1..100); @used and @peak are the nanoseconds of
 *	device time consumed since the guest was created (returned through
 *	VGPU_IOC_COMPUTE_LEASE / VGPU_IOC_COMPUTE_RETURN); @limit_hits counts
 *	leases refused for lack of budget. CPU time of a fallback is not in it.
 * @VGPU_RES_NR: number of resources known to this header
 */
enum vgpu_resource {
	VGPU_RES_MEMORY = 0,
	VGPU_RES_PINNED = 1,
	VGPU_RES_CONTEXTS = 2,
	VGPU_RES_COMPUTE = 3,
	VGPU_RES_NR,
};

/** VGPU_RES_SLOTS - room for resources in struct vgpu_usage */
#define VGPU_RES_SLOTS		8

/* ------------------------------------------------------------------------ */
/* ioctls                                                                   */
/* ------------------------------------------------------------------------ */

#define VGPU_TYPE		0xE8
#define VGPU_CMD_BASE		0x80

enum {
	VGPU_CMD_VERSION = VGPU_CMD_BASE,
	VGPU_CMD_ATTACH,
	VGPU_CMD_CTX_CREATE,
	VGPU_CMD_CTX_DESTROY,
	VGPU_CMD_MEM_CHARGE,
	VGPU_CMD_MEM_UNCHARGE,
	VGPU_CMD_PIN,
	VGPU_CMD_UNPIN,
	VGPU_CMD_USAGE,
	VGPU_CMD_COMPUTE_LEASE,
	VGPU_CMD_COMPUTE_RETURN,
};

/* VGPU_CAP_* - capability bits reported by VGPU_IOC_VERSION */

/** VGPU_CAP_CONTEXTS - VGPU_IOC_CTX_CREATE / VGPU_IOC_CTX_DESTROY */
#define VGPU_CAP_CONTEXTS	(1ULL << 0)
/** VGPU_CAP_MEMORY - VGPU_IOC_MEM_CHARGE / VGPU_IOC_MEM_UNCHARGE */
#define VGPU_CAP_MEMORY		(1ULL << 1)
/** VGPU_CAP_PIN - VGPU_IOC_PIN / VGPU_IOC_UNPIN */
#define VGPU_CAP_PIN		(1ULL << 2)
/** VGPU_CAP_USAGE - VGPU_IOC_USAGE */
#define VGPU_CAP_USAGE		(1ULL << 3)
/** VGPU_CAP_NETLINK - the generic netlink family "vgpu" is registered */
#define VGPU_CAP_NETLINK	(1ULL << 4)
/** VGPU_CAP_COMPUTE - VGPU_IOC_COMPUTE_LEASE / VGPU_IOC_COMPUTE_RETURN (API 2) */
#define VGPU_CAP_COMPUTE	(1ULL << 5)
/** VGPU_CAP_COMPUTE_TURNS - VGPU_COMPUTE_TURN and VGPU_COMPUTE_WAIT leases (API 3) */
#define VGPU_CAP_COMPUTE_TURNS	(1ULL << 6)

/**
 * struct vgpu_version - VGPU_IOC_VERSION: what the module supports
 * @size: sizeof(struct vgpu_version)
 * @flags: must be 0
 * @api_version: out: VGPU_API_VERSION of the module
 * @nr_resources: out: number of resources the module keeps (VGPU_RES_NR)
 * @caps: out: VGPU_CAP_* bits
 * @max_contexts: out: per-session cap on contexts (module parameter)
 * @max_charges: out: per-session cap on memory charges (module parameter)
 * @max_pins: out: per-session cap on pins (module parameter)
 * @__reserved: must be 0
 *
 * Works on any session, attached or not.
 */
struct vgpu_version {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 nr_resources;
	__aligned_u64 caps;
	__u32 max_contexts;
	__u32 max_charges;
	__u32 max_pins;
	__u32 __reserved;
};
#define VGPU_IOC_VERSION	_IOWR(VGPU_TYPE, VGPU_CMD_VERSION, struct vgpu_version)

/**
 * VGPU_ATTACH_BY_NAME - struct vgpu_attach: look the guest up by @name
 */
#define VGPU_ATTACH_BY_NAME	(1U << 0)

/**
 * struct vgpu_attach - VGPU_IOC_ATTACH: attach this session to a guest
 * @size: sizeof(struct vgpu_attach)
 * @flags: 0 or VGPU_ATTACH_BY_NAME
 * @guest_id: in: guest id (when not by name); out: the attached guest's id
 * @__reserved: must be 0
 * @name: in: NUL-terminated guest name when VGPU_ATTACH_BY_NAME, else all 0
 *
 * Only the guest's owner uid (or a caller with CAP_SYS_ADMIN) may attach.
 * A session attaches once: a second attach is EALREADY. ENOENT: no such guest.
 * EACCES: caller is not the owner. EINVAL: name not terminated or empty.
 */
struct vgpu_attach {
	__u32 size;
	__u32 flags;
	__u32 guest_id;
	__u32 __reserved;
	char name[VGPU_NAME_MAX];
};
#define VGPU_IOC_ATTACH		_IOWR(VGPU_TYPE, VGPU_CMD_ATTACH, struct vgpu_attach)

/**
 * struct vgpu_ctx_create - VGPU_IOC_CTX_CREATE: account a GPU context
 * @size: sizeof(struct vgpu_ctx_create)
 * @flags: must be 0
 * @device: in: device index the context lives on
 * @ctx_id: out: handle of the context in this session
 * @mem_bytes: in: device memory the context itself costs (measured by the
 *	caller); charged to VGPU_RES_MEMORY together with the context, released
 *	with it. May be 0.
 *
 * Charges one VGPU_RES_CONTEXTS and @mem_bytes of VGPU_RES_MEMORY, both or
 * neither. EDQUOT: either limit would be passed. ENOSPC: the session already
 * holds max_contexts contexts. ENOTCONN: session not attached.
 */
struct vgpu_ctx_create {
	__u32 size;
	__u32 flags;
	__u32 device;
	__u32 ctx_id;
	__aligned_u64 mem_bytes;
};
#define VGPU_IOC_CTX_CREATE	_IOWR(VGPU_TYPE, VGPU_CMD_CTX_CREATE, struct vgpu_ctx_create)

/**
 * struct vgpu_handle_op - argument of the commands that release a handle
 * @size: sizeof(struct vgpu_handle_op)
 * @flags: must be 0
 * @handle: in: the handle (context id, charge handle or pin handle)
 * @__reserved: must be 0
 *
 * ENOENT: no object of that kind with that handle in this session (never
 * created, already released, or another session's). A released handle's
 * number is issued again only after 65536 further creations in the session.
 */
struct vgpu_handle_op {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
};
#define VGPU_IOC_CTX_DESTROY	_IOW(VGPU_TYPE, VGPU_CMD_CTX_DESTROY, struct vgpu_handle_op)
#define VGPU_IOC_MEM_UNCHARGE	_IOW(VGPU_TYPE, VGPU_CMD_MEM_UNCHARGE, struct vgpu_handle_op)
#define VGPU_IOC_UNPIN		_IOW(VGPU_TYPE, VGPU_CMD_UNPIN, struct vgpu_handle_op)

/**
 * struct vgpu_mem_charge - VGPU_IOC_MEM_CHARGE: reserve device memory
 * @size: sizeof(struct vgpu_mem_charge)
 * @flags: must be 0
 * @device: in: device index
 * @handle: out: charge handle, for VGPU_IOC_MEM_UNCHARGE
 * @bytes: in: bytes to reserve, > 0
 *
 * Reserve before the backend allocates, release after it frees. EDQUOT: the
 * guest's memory limit would be passed (nothing is charged; the refusal is
 * counted). ENOSPC: the session holds max_charges charges.
 */
struct vgpu_mem_charge {
	__u32 size;
	__u32 flags;
	__u32 device;
	__u32 handle;
	__aligned_u64 bytes;
};
#define VGPU_IOC_MEM_CHARGE	_IOWR(VGPU_TYPE, VGPU_CMD_MEM_CHARGE, struct vgpu_mem_charge)

/** VGPU_PIN_WRITE - struct vgpu_pin: the device will write to the range */
#define VGPU_PIN_WRITE		(1U << 0)

/**
 * struct vgpu_pin - VGPU_IOC_PIN: pin a range of the caller's memory long-term
 * @size: sizeof(struct vgpu_pin)
 * @flags: 0 or VGPU_PIN_WRITE
 * @handle: out: pin handle, for VGPU_IOC_UNPIN
 * @__reserved: must be 0
 * @addr: in: start, page aligned
 * @length: in: bytes, > 0, page aligned, no wrap-around
 *
 * Pins with FOLL_LONGTERM and charges @length to VGPU_RES_PINNED and to the
 * process's RLIMIT_MEMLOCK (unless CAP_IPC_LOCK). EDQUOT: the guest's pinned
 * limit. ENOMEM: RLIMIT_MEMLOCK would be passed. EFAULT: part of the range is
 * not mapped or not pinnable. EINVAL: zero, unaligned or wrapping range, or
 * one of 1 TiB or more (the module keeps one page array per pin).
 * ENOSPC: the session holds max_pins pins.
 */
struct vgpu_pin {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 addr;
	__aligned_u64 length;
};
#define VGPU_IOC_PIN		_IOWR(VGPU_TYPE, VGPU_CMD_PIN, struct vgpu_pin)

/**
 * struct vgpu_counter - one resource of one guest
 * @used: in use now
 * @peak: highest @used seen since the guest was created
 * @limit: the limit, VGPU_LIMIT_UNLIMITED for none
 * @limit_hits: charges refused because of @limit
 */
struct vgpu_counter {
	__aligned_u64 used;
	__aligned_u64 peak;
	__aligned_u64 limit;
	__aligned_u64 limit_hits;
};

/**
 * struct vgpu_usage - VGPU_IOC_USAGE: the books of the attached guest
 * @size: sizeof(struct vgpu_usage)
 * @flags: must be 0
 * @guest_id: out: the attached guest
 * @nr_resources: out: entries of @res filled (VGPU_RES_NR)
 * @sessions: out: sessions attached to the guest
 * @__reserved: must be 0
 * @res: out: indexed by enum vgpu_resource
 *
 * ENOTCONN: session not attached.
 */
struct vgpu_usage {
	__u32 size;
	__u32 flags;
	__u32 guest_id;
	__u32 nr_resources;
	__u32 sessions;
	__u32 __reserved;
	struct vgpu_counter res[VGPU_RES_SLOTS];
};
#define VGPU_IOC_USAGE		_IOWR(VGPU_TYPE, VGPU_CMD_USAGE, struct vgpu_usage)

/** VGPU_COMPUTE_MAX_DEVICES - device indices of compute leases are below it */
#define VGPU_COMPUTE_MAX_DEVICES	64

/**
 * struct vgpu_compute_lease - VGPU_IOC_COMPUTE_LEASE / VGPU_IOC_COMPUTE_RETURN
 * @size: sizeof(struct vgpu_compute_lease)
 * @flags: in (LEASE): VGPU_COMPUTE_TURN, VGPU_COMPUTE_WAIT (with TURN);
 *	0 for RETURN. out: the flags given, and VGPU_COMPUTE_BUSY
 * @device: in: device index, below VGPU_COMPUTE_MAX_DEVICES
 * @__reserved: must be 0
 * @request_ns: in (LEASE): device time wanted, 1 ns..1 s; must be 0
 *	for RETURN
 * @used_ns: in: device time the lease held so far really took, measured from
 *	completions. May exceed what was granted: the overrun is taken from
 *	the next period (debt).
 * @fallback_ns: in: CPU time the session spent instead of device time since
 *	its last report (work it ran on the CPU as a fallback); counted apart,
 *	never against the share.
 * @granted_ns: out (LEASE): device time granted, 0..@request_ns
 * @wait_ns: in (LEASE with VGPU_COMPUTE_WAIT): the longest the call may
 *	sleep for the device, 1 ns..VGPU_COMPUTE_WAIT_MAX_NS (ignored
 *	without it). out (LEASE): when @granted_ns is 0, nanoseconds until
 *	the next refill, or with VGPU_COMPUTE_BUSY a hint: until the
 *	holder's turn lapses, or (to the holder that handed over) until the
 *	hand-over ends; the device may come free earlier, or later when
 *	another session takes it (at least 1 ns); else 0
 * @period_ns: out: the guest's period
 * @budget_ns: out: budget the guest has left in this period on @device
 *	after this call (negative while in debt)
 *
 * A session holds at most one lease per device. VGPU_IOC_COMPUTE_LEASE
 * first settles the lease the session holds on @device (as RETURN would,
 * with @used_ns and @fallback_ns), then grants up to @request_ns from the
 * guest's budget for the current period: one ioctl per lease, none per
 * launch. A guest with no compute limit and no weight is granted what it
 * asks (and its use counted). With no budget left the answer is 0 with
 * @granted_ns 0 and @wait_ns set: the caller waits for the refill or falls
 * back (never blocks in the kernel). VGPU_IOC_COMPUTE_RETURN settles the
 * lease and holds none: unused time of a lease granted in the current
 * period goes back to the budget, use past the grant becomes debt.
 * Closing the file settles every lease as fully used (work may still be
 * running on the device).
 *
 * Turns (VGPU_COMPUTE_TURN): sessions that lease with it take @device one at
 * a time, whatever their guest or process, so that the time each measures
 * is its own work alone (a GPU time-slices contexts; the CPU as a device
 * would run two guests' kernels at once, each slower). The turn is the
 * holder's from a grant on, through its next leases, until it returns, is
 * refused, closes, or lets the turn lapse (no lease for twice its last grant
 * or a period, whichever is longer, and 1 ms). While another session holds
 * the turn the answer is 0 with @granted_ns 0, VGPU_COMPUTE_BUSY and
 * @wait_ns; the lease held before was settled all the same (not a refusal:
 * no limit hit, no throttled time). A holder that leases again while another
 * session waits for the device (sleeping with VGPU_COMPUTE_WAIT, or, without
 * it, told BUSY less than VGPU_COMPUTE_HANDOVER_NS ago and not served since)
 * hands it over once its turn
 * has lasted the module parameter turn_min_us (at most half its period,
 * divided among the sessions sleeping for the device when several do): it
 * is told BUSY itself until another session takes the device, at most
 * VGPU_COMPUTE_HANDOVER_NS. A session whose lease would be refused (no
 * budget left) does not wait for a turn: it is refused. With
 * VGPU_COMPUTE_WAIT the call sleeps (interruptibly) while the device is
 * busy, at most @wait_ns in all; a signal or the end of the wait ends it
 * with the BUSY answer, never an error. Sessions that lease without
 * VGPU_COMPUTE_TURN do not take part in turns (a holder that does gives its
 * turn up).
 *
 * EINVAL: flags (unknown bits, WAIT without TURN, any on RETURN), reserved,
 * device, @request_ns or (with WAIT) @wait_ns out of range. ENOTCONN:
 * session not attached.
 */
struct vgpu_compute_lease {
	__u32 size;
	__u32 flags;
	__u32 device;
	__u32 __reserved;
	__aligned_u64 request_ns;
	__aligned_u64 used_ns;
	__aligned_u64 fallback_ns;
	__aligned_u64 granted_ns;
	__aligned_u64 wait_ns;
	__aligned_u64 period_ns;
	__s64 budget_ns;
};
/** VGPU_COMPUTE_TURN - lease flag: take turns on the device (API 3) */
#define VGPU_COMPUTE_TURN	(1U << 0)
/** VGPU_COMPUTE_WAIT - lease flag: sleep while another session's turn lasts */
#define VGPU_COMPUTE_WAIT	(1U << 1)
/** VGPU_COMPUTE_BUSY - out: nothing granted, another session holds the turn */
#define VGPU_COMPUTE_BUSY	(1U << 8)
/** VGPU_COMPUTE_WAIT_MAX_NS - longest sleep of one VGPU_COMPUTE_WAIT lease, 1 s */
#define VGPU_COMPUTE_WAIT_MAX_NS	1000000000ULL
/** VGPU_COMPUTE_HANDOVER_NS - a handed-over turn waits this long for a waiter, 5 ms */
#define VGPU_COMPUTE_HANDOVER_NS	5000000ULL

#define VGPU_IOC_COMPUTE_LEASE	_IOWR(VGPU_TYPE, VGPU_CMD_COMPUTE_LEASE, struct vgpu_compute_lease)
#define VGPU_IOC_COMPUTE_RETURN	_IOWR(VGPU_TYPE, VGPU_CMD_COMPUTE_RETURN, struct vgpu_compute_lease)

/** VGPU_COMPUTE_PERIOD_MIN_US - shortest compute period, 10 ms */
#define VGPU_COMPUTE_PERIOD_MIN_US	10000
/** VGPU_COMPUTE_PERIOD_MAX_US - longest compute period, 1 s */
#define VGPU_COMPUTE_PERIOD_MAX_US	1000000
/** VGPU_COMPUTE_PERIOD_DEFAULT_US - period of a new guest, 100 ms */
#define VGPU_COMPUTE_PERIOD_DEFAULT_US	100000
/** VGPU_COMPUTE_WEIGHT_MAX - largest compute weight (0: no weight) */
#define VGPU_COMPUTE_WEIGHT_MAX		10000
/** VGPU_SHARE_ONE - a share of 100 % in the COMPUTE_SHARE_* attributes */
#define VGPU_SHARE_ONE			10000

/* ------------------------------------------------------------------------ */
/* generic netlink family "vgpu" (Documentation/netlink/specs/vgpu.yaml)    */
/* ------------------------------------------------------------------------ */

#define VGPU_GENL_NAME		"vgpu"
#define VGPU_GENL_VERSION	1
#define VGPU_MCGRP_EVENTS	"events"

/**
 * enum vgpu_nl_cmd - commands of the "vgpu" family
 * @VGPU_NL_CMD_UNSPEC: not a command
 * @VGPU_NL_CMD_GUEST_NEW: create a guest (admin). Needs NAME; UID, GID and the
 *	LIMIT_* attributes are optional (unlimited when absent). Replies with
 *	the guest (GUEST_GET format). EEXIST: name taken.
 * @VGPU_NL_CMD_GUEST_DEL: destroy a guest by ID or NAME (admin). EBUSY while
 *	sessions are attached.
 * @VGPU_NL_CMD_GUEST_GET: do: one guest by ID or NAME; dump: all guests.
 * @VGPU_NL_CMD_GUEST_SET: set any subset of LIMIT_* of a guest given by ID or
 *	NAME (admin); VGPU_LIMIT_UNLIMITED removes a limit.
 * @VGPU_NL_CMD_STATS_GET: module-wide statistics (STATS_* attributes).
 * @VGPU_NL_CMD_GUEST_CREATED_NTF: event: a guest was created (guest attrs).
 * @VGPU_NL_CMD_GUEST_DESTROYED_NTF: event: a guest was destroyed (ID, NAME).
 * @VGPU_NL_CMD_LIMIT_HIT_NTF: event: a charge was refused (EV_* attrs).
 * @VGPU_NL_CMD_THROTTLED_NTF: event: a compute lease was refused for lack of
 *	budget (ID, NAME, EV_DEVICE, EV_WAIT); at most one per guest per
 *	second.
 * @__VGPU_NL_CMD_MAX: number of commands
 * @VGPU_NL_CMD_MAX: highest command
 */
enum vgpu_nl_cmd {
	VGPU_NL_CMD_UNSPEC,
	VGPU_NL_CMD_GUEST_NEW,
	VGPU_NL_CMD_GUEST_DEL,
	VGPU_NL_CMD_GUEST_GET,
	VGPU_NL_CMD_GUEST_SET,
	VGPU_NL_CMD_STATS_GET,
	VGPU_NL_CMD_GUEST_CREATED_NTF,
	VGPU_NL_CMD_GUEST_DESTROYED_NTF,
	VGPU_NL_CMD_LIMIT_HIT_NTF,
	VGPU_NL_CMD_THROTTLED_NTF,

	__VGPU_NL_CMD_MAX,
	VGPU_NL_CMD_MAX = __VGPU_NL_CMD_MAX - 1,
};

/**
 * enum vgpu_nl_attr - attributes of the "vgpu" family (one attribute space)
 * @VGPU_A_UNSPEC: not an attribute
 * @VGPU_A_GUEST_ID: u32, guest id
 * @VGPU_A_GUEST_NAME: string, 1..VGPU_NAME_MAX-1 bytes, [A-Za-z0-9_.-]
 * @VGPU_A_GUEST_UID: u32, owner uid (default: the creator's)
 * @VGPU_A_GUEST_GID: u32, owner gid (default: the creator's)
 * @VGPU_A_GUEST_SESSIONS: u32, sessions attached now
 * @VGPU_A_LIMIT_MEMORY: u64, device memory limit, bytes
 * @VGPU_A_LIMIT_PINNED: u64, pinned host memory limit, bytes
 * @VGPU_A_LIMIT_CONTEXTS: u64, context limit
 * @VGPU_A_LIMIT_COMPUTE: u64, compute share limit, percent 1..100
 * @VGPU_A_GUEST_RES: nest (VGPU_A_RES_*), one per resource, in GET replies
 * @VGPU_A_EV_RESOURCE: u32, enum vgpu_resource of a limit-hit event
 * @VGPU_A_EV_CURRENT: u64, usage when the charge was refused
 * @VGPU_A_EV_REQUESTED: u64, the amount asked for
 * @VGPU_A_EV_LIMIT: u64, the limit in force
 * @VGPU_A_STATS_GUESTS: u32, guests now
 * @VGPU_A_STATS_SESSIONS: u32, open sessions now (attached or not)
 * @VGPU_A_STATS_LIMIT_HITS: u64, refusals since load (charges and compute
 *	leases), all guests
 * @VGPU_A_STATS_EVENTS: u64, events sent since load (events are only built
 *	and sent while someone listens on the "events" group)
 * @VGPU_A_PAD: padding for 64-bit attributes
 * @VGPU_A_COMPUTE_PERIOD: u32, compute period in microseconds,
 *	VGPU_COMPUTE_PERIOD_MIN_US..VGPU_COMPUTE_PERIOD_MAX_US (new, set, get)
 * @VGPU_A_COMPUTE_WEIGHT: u32, compute weight 1..VGPU_COMPUTE_WEIGHT_MAX, or
 *	0 for none (new, set, get)
 * @VGPU_A_COMPUTE_CONSUMED: u64, device time consumed, ns (get)
 * @VGPU_A_COMPUTE_SHARE_PERIOD: u32, share of one device achieved in the
 *	guest's last complete period, in 1/VGPU_SHARE_ONE, summed over devices
 * @VGPU_A_COMPUTE_SHARE_SECOND: u32, the same over the last complete second
 * @VGPU_A_COMPUTE_THROTTLED: u64, ns during which the guest's leases were
 *	refused, counted from each refusal to the refill that ends it
 * @VGPU_A_COMPUTE_FALLBACK: u64, CPU time its sessions reported as a
 *	fallback (work run on the CPU instead of the device), ns
 * @VGPU_A_EV_DEVICE: u32, device of a throttled event
 * @VGPU_A_EV_WAIT: u64, ns until the refill, in a throttled event
 * @VGPU_A_STATS_EVENTS_DROPPED: u64, LIMIT_HIT events not sent since load
 *	because a guest passed its rate (20 per second per guest)
 * @__VGPU_A_MAX: number of attributes
 * @VGPU_A_MAX: highest attribute
 */
enum vgpu_nl_attr {
	VGPU_A_UNSPEC,
	VGPU_A_GUEST_ID,
	VGPU_A_GUEST_NAME,
	VGPU_A_GUEST_UID,
	VGPU_A_GUEST_GID,
	VGPU_A_GUEST_SESSIONS,
	VGPU_A_LIMIT_MEMORY,
	VGPU_A_LIMIT_PINNED,
	VGPU_A_LIMIT_CONTEXTS,
	VGPU_A_LIMIT_COMPUTE,
	VGPU_A_GUEST_RES,
	VGPU_A_EV_RESOURCE,
	VGPU_A_EV_CURRENT,
	VGPU_A_EV_REQUESTED,
	VGPU_A_EV_LIMIT,
	VGPU_A_STATS_GUESTS,
	VGPU_A_STATS_SESSIONS,
	VGPU_A_STATS_LIMIT_HITS,
	VGPU_A_STATS_EVENTS,
	VGPU_A_PAD,
	VGPU_A_COMPUTE_PERIOD,
	VGPU_A_COMPUTE_WEIGHT,
	VGPU_A_COMPUTE_CONSUMED,
	VGPU_A_COMPUTE_SHARE_PERIOD,
	VGPU_A_COMPUTE_SHARE_SECOND,
	VGPU_A_COMPUTE_THROTTLED,
	VGPU_A_COMPUTE_FALLBACK,
	VGPU_A_EV_DEVICE,
	VGPU_A_EV_WAIT,
	VGPU_A_STATS_EVENTS_DROPPED,

	__VGPU_A_MAX,
	VGPU_A_MAX = __VGPU_A_MAX - 1,
};

/**
 * enum vgpu_nl_res_attr - attributes inside a VGPU_A_GUEST_RES nest
 * @VGPU_A_RES_UNSPEC: not an attribute
 * @VGPU_A_RES_TYPE: u32, enum vgpu_resource
 * @VGPU_A_RES_CURRENT: u64, in use now
 * @VGPU_A_RES_PEAK: u64, highest use seen
 * @VGPU_A_RES_LIMIT: u64, limit (VGPU_LIMIT_UNLIMITED: none)
 * @VGPU_A_RES_LIMIT_HITS: u64, refused charges
 * @VGPU_A_RES_PAD: padding
 * @__VGPU_A_RES_MAX: number of attributes
 * @VGPU_A_RES_MAX: highest attribute
 */
enum vgpu_nl_res_attr {
	VGPU_A_RES_UNSPEC,
	VGPU_A_RES_TYPE,
	VGPU_A_RES_CURRENT,
	VGPU_A_RES_PEAK,
	VGPU_A_RES_LIMIT,
	VGPU_A_RES_LIMIT_HITS,
	VGPU_A_RES_PAD,

	__VGPU_A_RES_MAX,
	VGPU_A_RES_MAX = __VGPU_A_RES_MAX - 1,
};

#endif /* _UAPI_LINUX_VGPU_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels snapfreeze builds for is resolved
 * here, from the HAVE_* results of probe.sh, so that the rest of the module
 * is written against the newest kernel API only. Kbuild force-includes this
 * header into every object.
 */

#ifndef _SNAPFREEZE_COMPAT_H
#define _SNAPFREEZE_COMPAT_H

#include "generated/features.h"

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/percpu-rwsem.h>
#include <net/genetlink.h>

/*
 * freeze_super(sb, who, owner) since 6.16; (sb, who) since 6.6, when a
 * kernel hold and a userspace hold started to coexist. Before that a freeze
 * is a freeze, and any FITHAW releases it.
 */
#if defined(HAVE_FREEZE_SUPER_OWNER) || defined(HAVE_FREEZE_SUPER_HOLDER)
#define COMPAT_FREEZE_KERNEL_HOLDER true
#else
#define COMPAT_FREEZE_KERNEL_HOLDER false
#endif

#if defined(HAVE_FREEZE_SUPER_OWNER)
/* The newest API: nothing to translate. */
#elif defined(HAVE_FREEZE_SUPER_HOLDER)
#define freeze_super(sb, who, owner) ((void)(owner), freeze_super(sb, who))
#define thaw_super(sb, who, owner) ((void)(owner), thaw_super(sb, who))
#elif defined(HAVE_FREEZE_SUPER_NOHOLDER)
enum freeze_holder {
	FREEZE_HOLDER_KERNEL = (1U << 0),
	FREEZE_HOLDER_USERSPACE = (1U << 1),
};

#define freeze_super(sb, who, owner) \
	((void)(who), (void)(owner), freeze_super(sb))
#define thaw_super(sb, who, owner) \
	((void)(who), (void)(owner), thaw_super(sb))
#else
#error "snapfreeze: no known freeze_super() in this kernel (see kmod/compat/generated/features.h)"
#endif

/*
 * Events name paths and processes: joining their group must need
 * CAP_SYS_ADMIN. A group flag from 6.8 (and 6.1.176), a bitfield from
 * 6.1.68 to 6.1.175. A kernel with neither lets anyone join any group: the
 * module then registers no group at all, and sends no events.
 */
#if defined(HAVE_GENL_MCAST_CAP_SYS_ADMIN)
#define COMPAT_MCGRP_SYS_ADMIN_ONLY .flags = GENL_MCAST_CAP_SYS_ADMIN
#define COMPAT_RESTRICTED_MCGRPS true
#elif defined(HAVE_GENL_MCGRP_CAP_SYS_ADMIN)
#define COMPAT_MCGRP_SYS_ADMIN_ONLY .cap_sys_admin = 1
#define COMPAT_RESTRICTED_MCGRPS true
#else
/* Such kernels' groups have no flags field at all. */
#define COMPAT_MCGRP_SYS_ADMIN_ONLY
#define COMPAT_RESTRICTED_MCGRPS false
#endif

/*
 * Before 6.2 the extended ACK has no buffer for a formatted message: such
 * kernels get the plain message, which must make sense on its own.
 */
#ifdef HAVE_NL_SET_ERR_MSG_FMT
#define compat_set_err_msg_fmt(extack, plain, fmt, args...) do {	\
	(void)(plain);							\
	NL_SET_ERR_MSG_FMT(extack, fmt, ##args);			\
} while (0)
#else
#define compat_set_err_msg_fmt(extack, plain, fmt, args...) do {	\
	(void)(fmt);							\
	NL_SET_ERR_MSG(extack, plain);					\
} while (0)
#endif

/* pre_doit is given the split operation from 6.2, the operation before. */
#ifdef HAVE_GENL_SPLIT_OPS
#define compat_genl_doit_ops genl_split_ops
#else
#define compat_genl_doit_ops genl_ops
#endif

/* hrtimer_setup() from 6.13; before, hrtimer_init() and the function set by hand. */
#ifndef HAVE_HRTIMER_SETUP
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

/*
 * percpu_rwsem_release(sem, ip) tells lockdep a hold is no longer the
 * task's; before 6.12 it took a read flag too, which it ignored.
 */
#ifndef HAVE_PERCPU_RWSEM_RELEASE_IP
#define percpu_rwsem_release(sem, ip) percpu_rwsem_release(sem, true, ip)
#endif

/*
 * rcu_expedite_gp() and rcu_unexpedite_gp(), for code about to wait for
 * many grace periods (suspend uses them), and rcu_exp_batches_completed(),
 * the expedited grace periods' sequence: exported by Tree RCU (GPL) on
 * every kernel snapfreeze builds for, but declared only in RCU's private
 * header. Tiny RCU, for one CPU, has no expedited grace periods.
 */
#ifdef CONFIG_TINY_RCU
static inline void rcu_expedite_gp(void) { }
static inline void rcu_unexpedite_gp(void) { }
static inline unsigned long rcu_exp_batches_completed(void) { return 1; }
#else
void rcu_expedite_gp(void);
void rcu_unexpedite_gp(void);
unsigned long rcu_exp_batches_completed(void);
#endif

#endif /* _SNAPFREEZE_COMPAT_H */

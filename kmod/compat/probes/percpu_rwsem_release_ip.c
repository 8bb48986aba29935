// SPDX-License-Identifier: GPL-2.0
/* percpu_rwsem_release(sem, ip): 6.12 and later; before, a read flag too. */
#include <linux/percpu-rwsem.h>

void probe(struct percpu_rw_semaphore *sem);
void probe(struct percpu_rw_semaphore *sem)
{
	percpu_rwsem_release(sem, _THIS_IP_);
}

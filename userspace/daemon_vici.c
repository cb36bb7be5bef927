// SPDX-License-Identifier: GPL-2.0
/*
 * vpnecmp daemon: the strongSwan feeder, over charon's VICI socket.
 *
 * Why VICI and not the updown hook: the hook is a process per CHILD_SA
 * event that charon waits for, it knows nothing about the IKE SA (DPD kills
 * the IKE SA first), and a daemon that restarts has lost every event it
 * missed.  On VICI one connection streams ike-updown and child-updown, and
 * list-sas tells the whole state after a (re)connect; the same socket
 * terminates or re-initiates a tunnel that vpnecmp pulled for reasons charon
 * cannot see (on-pull).
 *
 * The client never blocks the daemon's loop: one persistent connection,
 * non-blocking, with a queue of requests of which one at a time is on the
 * wire (VICI has no request ids: answers come in order), bytes parsed as
 * they arrive, events handled as they come.  Every request has a deadline;
 * a charon that does not answer in time (stopped, deadlocked, swamped) is
 * logged as a timeout and the connection is made again with exponential
 * backoff.  While charon is silent the dpd signals stay as they are: the
 * kernel still sees the SAs go, and a slow charon is no sign of a dead peer.
 *
 * State: per path, the set of IKE SAs (by charon's unique id) of the path's
 * connection that are established, and the set of CHILD_SAs of the path's
 * child that are installed.  The dpd signal is up while the IKE set is not
 * empty and, if the path names a child, the CHILD_SA set is not empty.  A
 * down event removes only the SA it names: with make-before-break
 * reauthentication the old IKE SA's down event comes after the new one's up
 * and changes nothing.  Rekeys (ike-rekey, child-rekey) swap ids.  list-sas,
 * after every connect and every VICI_RESYNC_MS, rebuilds the sets.
 *
 * Wire format (strongSwan's src/libcharon/plugins/vici/README.md): a 32-bit
 * big-endian length, then a packet: one type byte, a length-prefixed name
 * for named packets, then the message, a sequence of elements:
 * SECTION_START name, SECTION_END, KEY_VALUE name value(16-bit length),
 * LIST_START name, LIST_ITEM value, LIST_END.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"

enum {
	VICI_CMD_REQUEST,
	VICI_CMD_RESPONSE,
	VICI_CMD_UNKNOWN,
	VICI_EVENT_REGISTER,
	VICI_EVENT_UNREGISTER,
	VICI_EVENT_CONFIRM,
	VICI_EVENT_UNKNOWN,
	VICI_EVENT,
};

enum {
	VICI_SECTION_START = 1,
	VICI_SECTION_END,
	VICI_KEY_VALUE,
	VICI_LIST_START,
	VICI_LIST_ITEM,
	VICI_LIST_END,
};

#define VICI_MAX_SEGMENT	(512 * 1024)
/* reconnect after 1 s, doubling up to 30 s while charon is not there */
#define VICI_RETRY_MS		1000
#define VICI_RETRY_MAX_MS	30000
/*
 * An answer not here by then (a list-sas: nothing of it for that long):
 * charon is stuck, connect again.
 */
#define VICI_TIMEOUT_MS		10000
/* list-sas again this often, in case an event was lost */
#define VICI_RESYNC_MS		30000
/* a send that would block: try again this soon */
#define VICI_SEND_RETRY_MS	20
/* on-pull: at most one request per path per backoff, 10 s doubling to 5 min */
#define VICI_PULL_MIN_MS	10000
#define VICI_PULL_MAX_MS	300000
/* ... back to the minimum after this long without a pull */
#define VICI_PULL_RESET_MS	600000
/* on-pull terminate: wait this long (ms, a string for VICI) for the DELETE */
#define VICI_TERMINATE_MS	"2000"
#define VICI_QUEUE_MAX		4096
#define VICI_DEPTH		16

struct vici_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

/* ----------------------------------------------------------- SA sets */

struct vici_sa {
	uint32_t id;		/* charon's unique id */
	uint32_t ike;		/* CHILD_SA: its IKE SA's unique id */
};

struct vici_set {
	struct vici_sa *v;
	unsigned int n, cap;
};

struct vici_view {
	struct vici_set ike;	/* established IKE SAs of the path's conn */
	struct vici_set child;	/* installed CHILD_SAs of the path's child */
};

/* Per path. */
struct vici_path {
	struct vici_view live;	/* what charon said last */
	struct vici_view fresh;	/* being rebuilt by a list-sas */
	/* on-pull rate limit */
	uint64_t pull_last;	/* last request, 0: never */
	uint64_t pull_next;	/* no request before */
	uint32_t pull_backoff;
	bool pull_pending;	/* a pull came during the backoff */
};

/* ----------------------------------------------------------- requests */

enum vici_req_kind {
	VR_REGISTER,
	VR_LIST,
	VR_COMMAND,
};

struct vici_req {
	struct vici_req *next;
	enum vici_req_kind kind;
	char what[96];		/* for the log: "list-sas", "terminate" */
	int path;		/* on-pull: index of the path, else -1 */
	bool restart;		/* on-pull restart: initiate after terminate */
	bool optional;		/* register: charon may not know the event */
	struct vici_buf msg;	/* the whole segment, length included */
	unsigned int timeout_ms;
};

static struct vd_conf *vici_conf;
static struct vici_path *vici_paths;
static int vici_fd = -1;
static struct vici_buf vici_in;
static struct vici_req *vq_head, **vq_tail = &vq_head;
static unsigned int vq_len;
static size_t vq_off;		/* bytes of the head on the wire */
static uint64_t vq_deadline;	/* the head is answered by, 0: not sent */
static uint64_t vici_send_at;	/* retry a send that would block, 0: none */
static uint64_t vici_retry;	/* reconnect at, 0: connected or unused */
static uint32_t vici_retry_ms = VICI_RETRY_MS;
static uint64_t vici_resync_at;	/* list-sas at, 0: not due */
static uint32_t vici_resync_ms = VICI_RESYNC_MS;
static bool vici_listing;	/* a list-sas is on the wire */
static bool vici_synced;	/* the sets are charon's (a list-sas done) */
static bool vici_warned;	/* cannot-connect said once */
static bool vici_ever;		/* connected once since open */

static void *vici_alloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		vd_log(2, "out of memory");
		exit(1);
	}
	return p;
}

static void vb_put(struct vici_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->data = vici_alloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void vb_u8(struct vici_buf *b, unsigned int v)
{
	unsigned char c = (unsigned char)v;

	vb_put(b, &c, 1);
}

static void vb_name(struct vici_buf *b, const char *s)
{
	size_t n = strlen(s);

	vb_u8(b, (unsigned int)n);
	vb_put(b, s, n);
}

static void vb_kv(struct vici_buf *b, const char *key, const char *value)
{
	uint16_t n = htons((uint16_t)strlen(value));

	vb_u8(b, VICI_KEY_VALUE);
	vb_name(b, key);
	vb_put(b, &n, 2);
	vb_put(b, value, strlen(value));
}

static void vb_free(struct vici_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ----------------------------------------------------------- messages */

/*
 * A received message as a flat list of elements, each knowing its parent
 * section (-1: the root); names and values point into the packet.
 */
struct vici_el {
	int type;		/* VICI_SECTION_START, _KEY_VALUE, _LIST_START, _LIST_ITEM */
	int parent;
	const unsigned char *name;
	size_t nlen;
	const unsigned char *val;
	size_t vlen;
};

struct vici_msg {
	struct vici_el *el;
	int n, cap;
};

static struct vici_msg vici_msg;

static int vm_parse(struct vici_msg *m, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	int stack[VICI_DEPTH], depth = 0, list = -1;

	m->n = 0;
	while (p < end) {
		unsigned int type = *p++;
		struct vici_el e = { .type = (int)type, .parent = depth ? stack[depth - 1] : -1 };

		switch (type) {
		case VICI_SECTION_START:
		case VICI_KEY_VALUE:
		case VICI_LIST_START:
			if (p >= end || p + 1 + *p > end)
				return -EBADMSG;
			e.nlen = *p++;
			e.name = p;
			p += e.nlen;
			if (type != VICI_KEY_VALUE)
				break;
			if (p + 2 > end)
				return -EBADMSG;
			e.vlen = (size_t)p[0] << 8 | p[1];
			e.val = p + 2;
			p += 2 + e.vlen;
			if (p > end)
				return -EBADMSG;
			break;
		case VICI_LIST_ITEM:
			if (list < 0 || p + 2 > end)
				return -EBADMSG;
			e.parent = list;
			e.vlen = (size_t)p[0] << 8 | p[1];
			e.val = p + 2;
			p += 2 + e.vlen;
			if (p > end)
				return -EBADMSG;
			break;
		case VICI_SECTION_END:
			if (!depth || list >= 0)
				return -EBADMSG;
			depth--;
			continue;
		case VICI_LIST_END:
			if (list < 0)
				return -EBADMSG;
			list = -1;
			continue;
		default:
			return -EBADMSG;
		}
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 64;
			m->el = vici_alloc(m->el, (size_t)m->cap * sizeof(*m->el));
		}
		m->el[m->n] = e;
		if (type == VICI_SECTION_START) {
			if (depth == VICI_DEPTH)
				return -EBADMSG;
			stack[depth++] = m->n;
		} else if (type == VICI_LIST_START) {
			list = m->n;
		}
		m->n++;
	}
	return depth || list >= 0 ? -EBADMSG : 0;
}

static bool vm_str_is(const unsigned char *p, size_t n, const char *s)
{
	return p && strlen(s) == n && !memcmp(p, s, n);
}

/* The next element after "after" of type under parent (any name if NULL). */
static int vm_next(const struct vici_msg *m, int parent, int type, const char *name, int after)
{
	for (int i = after + 1; i < m->n; i++) {
		const struct vici_el *e = &m->el[i];

		if (e->parent == parent && e->type == type &&
		    (!name || vm_str_is(e->name, e->nlen, name)))
			return i;
	}
	return -1;
}

/* The value of key under parent, NULL-terminated in buf; NULL if none. */
static const char *vm_kv(const struct vici_msg *m, int parent, const char *key, char *buf,
			 size_t len)
{
	int i = vm_next(m, parent, VICI_KEY_VALUE, key, parent);
	size_t n;

	if (i < 0)
		return NULL;
	n = m->el[i].vlen < len - 1 ? m->el[i].vlen : len - 1;
	memcpy(buf, m->el[i].val, n);
	buf[n] = '\0';
	return buf;
}

static bool vm_kv_is(const struct vici_msg *m, int parent, const char *key, const char *value)
{
	int i = vm_next(m, parent, VICI_KEY_VALUE, key, parent);

	return i >= 0 && vm_str_is(m->el[i].val, m->el[i].vlen, value);
}

static bool vm_u32(const struct vici_msg *m, int parent, const char *key, uint32_t *v)
{
	char buf[16], *end;
	unsigned long n;

	if (!vm_kv(m, parent, key, buf, sizeof(buf)) || !buf[0])
		return false;
	errno = 0;
	n = strtoul(buf, &end, 10);
	if (*end || errno || n > UINT32_MAX)
		return false;
	*v = (uint32_t)n;
	return true;
}

static bool vm_name_is(const struct vici_msg *m, int i, const char *name)
{
	return vm_str_is(m->el[i].name, m->el[i].nlen, name);
}

/* ----------------------------------------------------------- the sets */

static void set_add(struct vici_set *s, uint32_t id, uint32_t ike)
{
	for (unsigned int i = 0; i < s->n; i++) {
		if (s->v[i].id == id) {
			s->v[i].ike = ike;
			return;
		}
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->v = vici_alloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct vici_sa){ .id = id, .ike = ike };
}

static void set_del(struct vici_set *s, uint32_t id)
{
	for (unsigned int i = 0; i < s->n; i++) {
		if (s->v[i].id == id) {
			s->v[i] = s->v[--s->n];
			return;
		}
	}
}

/* CHILD_SAs of IKE SA ike: gone with it (delete) or moved (rekey, to). */
static void set_children(struct vici_set *s, uint32_t ike, bool move, uint32_t to)
{
	for (unsigned int i = 0; i < s->n; i++) {
		if (s->v[i].ike != ike)
			continue;
		if (move) {
			s->v[i].ike = to;
		} else {
			s->v[i] = s->v[--s->n];
			i--;
		}
	}
}

static void view_clear(struct vici_view *v)
{
	v->ike.n = 0;
	v->child.n = 0;
}

static void view_free(struct vici_view *v)
{
	free(v->ike.v);
	free(v->child.v);
	memset(v, 0, sizeof(*v));
}

static void view_copy(struct vici_view *to, const struct vici_view *from)
{
	view_clear(to);
	for (unsigned int i = 0; i < from->ike.n; i++)
		set_add(&to->ike, from->ike.v[i].id, 0);
	for (unsigned int i = 0; i < from->child.n; i++)
		set_add(&to->child, from->child.v[i].id, from->child.v[i].ike);
}

/*
 * States that count.  An IKE SA being rekeyed still carries its children;
 * a CHILD_SA being rekeyed or updated (MOBIKE) still has its SAs in the
 * kernel: a list-sas in the middle of a rekey must not read as down.
 * Anything else (CREATED, CONNECTING, ROUTED, INSTALLING, DELETING...) does
 * not count.
 */
static bool ike_state_up(const struct vici_msg *m, int sec)
{
	return vm_kv_is(m, sec, "state", "ESTABLISHED") || vm_kv_is(m, sec, "state", "REKEYING");
}

static bool child_state_up(const struct vici_msg *m, int sec)
{
	return vm_kv_is(m, sec, "state", "INSTALLED") || vm_kv_is(m, sec, "state", "REKEYING") ||
	       vm_kv_is(m, sec, "state", "REKEYED") || vm_kv_is(m, sec, "state", "UPDATING");
}

/* The CHILD_SA section sec is path p's child (its "name", else the section's). */
static bool child_is(const struct vici_msg *m, int sec, const struct vd_path *p)
{
	int i = vm_next(m, sec, VICI_KEY_VALUE, "name", sec);

	if (i >= 0)
		return vm_str_is(m->el[i].val, m->el[i].vlen, p->child);
	return vm_name_is(m, sec, p->child);
}

enum vici_ev {
	VE_LIST,		/* list-sa: add what counts */
	VE_IKE_UPDOWN,
	VE_CHILD_UPDOWN,
	VE_IKE_REKEY,
	VE_CHILD_REKEY,
};

/* What message m (event kind ev, "up" for updowns) says of path p, into v. */
static void view_apply(struct vici_view *v, const struct vd_path *p, const struct vici_msg *m,
		       enum vici_ev ev, bool up)
{
	for (int ike = vm_next(m, -1, VICI_SECTION_START, p->ike, -1); ike >= 0;
	     ike = vm_next(m, -1, VICI_SECTION_START, p->ike, ike)) {
		int sas = vm_next(m, ike, VICI_SECTION_START, "child-sas", ike), c;
		uint32_t ike_id = 0, id, nid;

		if (ev == VE_IKE_REKEY) {
			int o = vm_next(m, ike, VICI_SECTION_START, "old", ike);
			int n = vm_next(m, ike, VICI_SECTION_START, "new", ike);

			if (o < 0 || n < 0 || !vm_u32(m, o, "uniqueid", &id) ||
			    !vm_u32(m, n, "uniqueid", &nid))
				continue;
			set_del(&v->ike, id);
			set_add(&v->ike, nid, 0);
			set_children(&v->child, id, true, nid);
			continue;
		}
		if (!vm_u32(m, ike, "uniqueid", &ike_id))
			continue;
		if (ev == VE_IKE_UPDOWN) {
			if (up) {
				set_add(&v->ike, ike_id, 0);
			} else {
				set_del(&v->ike, ike_id);
				set_children(&v->child, ike_id, false, 0);
			}
			continue;
		}
		if (ev == VE_LIST && ike_state_up(m, ike))
			set_add(&v->ike, ike_id, 0);
		if (!p->child[0] || sas < 0)
			continue;
		for (c = vm_next(m, sas, VICI_SECTION_START, NULL, sas); c >= 0;
		     c = vm_next(m, sas, VICI_SECTION_START, NULL, c)) {
			if (ev == VE_CHILD_REKEY) {
				int o = vm_next(m, c, VICI_SECTION_START, "old", c);
				int n = vm_next(m, c, VICI_SECTION_START, "new", c);

				if (o < 0 || n < 0 || !child_is(m, n, p) ||
				    !vm_u32(m, o, "uniqueid", &id) || !vm_u32(m, n, "uniqueid", &nid))
					continue;
				set_del(&v->child, id);
				if (child_state_up(m, n) ||
				    vm_next(m, n, VICI_KEY_VALUE, "state", n) < 0)
					set_add(&v->child, nid, ike_id);
				continue;
			}
			if (!child_is(m, c, p) || !vm_u32(m, c, "uniqueid", &id))
				continue;
			if (ev == VE_LIST) {
				if (child_state_up(m, c))
					set_add(&v->child, id, ike_id);
			} else if (up) {
				set_add(&v->child, id, ike_id);
			} else {
				set_del(&v->child, id);
			}
		}
	}
}

/* The dpd signal of every path from the live sets. */
static void vici_update(void)
{
	if (!vici_synced)
		return;		/* what we hold is not charon's view yet */
	for (unsigned int i = 0; i < vici_conf->npaths; i++) {
		struct vd_path *p = &vici_conf->paths[i];
		struct vici_view *v = &vici_paths[i].live;
		char why[192];
		bool up;

		if (!p->ike[0])
			continue;
		up = v->ike.n && (!p->child[0] || v->child.n);
		if (!v->ike.n)
			snprintf(why, sizeof(why), "no IKE SA %s established", p->ike);
		else if (!up)
			snprintf(why, sizeof(why), "no CHILD_SA %s installed", p->child);
		else if (p->child[0])
			snprintf(why, sizeof(why), "IKE SA %s #%" PRIu32 ", CHILD_SA %s #%" PRIu32,
				 p->ike, v->ike.v[0].id, p->child, v->child.v[0].id);
		else
			snprintf(why, sizeof(why), "IKE SA %s #%" PRIu32 " established", p->ike,
				 v->ike.v[0].id);
		vd_signal(p, VPNECMP_SIGNAL_DPD, up, why);
	}
}

/* ----------------------------------------------------------- connection */

static void vq_free(struct vici_req *r)
{
	vb_free(&r->msg);
	free(r);
}

static void vq_clear(void)
{
	while (vq_head) {
		struct vici_req *r = vq_head;

		vq_head = r->next;
		if (r->path >= 0)
			vd_log(4, "path %s: %s of IKE SA %s not confirmed by charon (connection lost)",
			       vici_conf->paths[r->path].name, r->what,
			       vici_conf->paths[r->path].ike);
		vq_free(r);
	}
	vq_tail = &vq_head;
	vq_len = 0;
	vq_off = 0;
	vq_deadline = 0;
	vici_send_at = 0;
}

static void vici_disconnect(void)
{
	if (vici_fd >= 0)
		close(vici_fd);
	vici_fd = -1;
	vq_clear();
	vici_in.len = 0;
	vici_listing = false;
	vici_synced = false;
	vici_resync_at = 0;
}

/* Lost or stuck: connect again later, each time a little later. */
static void vici_reconnect_later(void)
{
	vici_disconnect();
	vici_retry = vd_now_ms() + vici_retry_ms;
	vici_retry_ms = vici_retry_ms * 2 > VICI_RETRY_MAX_MS ? VICI_RETRY_MAX_MS :
			vici_retry_ms * 2;
}

/* Put as much of the head request on the wire as the socket takes. */
static void vici_flush(void)
{
	struct vici_req *r = vq_head;

	vici_send_at = 0;
	if (!r || vici_fd < 0 || vq_off == r->msg.len)
		return;
	if (!vq_deadline) {
		uint32_t len = htonl((uint32_t)(r->msg.len - 4));

		memcpy(r->msg.data, &len, 4);
		vq_deadline = vd_now_ms() + r->timeout_ms;
		if (r->kind == VR_LIST) {
			vici_listing = true;
			for (unsigned int i = 0; i < vici_conf->npaths; i++)
				view_clear(&vici_paths[i].fresh);
		}
	}
	while (vq_off < r->msg.len) {
		ssize_t n = send(vici_fd, r->msg.data + vq_off, r->msg.len - vq_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* the loop polls for input only: come back soon */
			vici_send_at = vd_now_ms() + VICI_SEND_RETRY_MS;
			return;
		}
		if (n < 0) {
			vd_log(4, "strongswan: sending %s to charon: %s", r->what, strerror(errno));
			vici_reconnect_later();
			return;
		}
		vq_off += (size_t)n;
	}
}

static struct vici_req *vq_new(enum vici_req_kind kind, unsigned int type, const char *name)
{
	struct vici_req *r = calloc(1, sizeof(*r));

	if (!r) {
		vd_log(2, "out of memory");
		exit(1);
	}
	r->kind = kind;
	r->path = -1;
	r->timeout_ms = VICI_TIMEOUT_MS;
	snprintf(r->what, sizeof(r->what), "%s%s", kind == VR_REGISTER ? "registration for " : "",
		 name);
	vb_put(&r->msg, "\0\0\0\0", 4);
	vb_u8(&r->msg, type);
	vb_name(&r->msg, name);
	return r;
}

static bool vq_add(struct vici_req *r)
{
	if (vici_fd < 0 || vq_len >= VICI_QUEUE_MAX) {
		vd_log(4, "strongswan: %s dropped: %s", r->what,
		       vici_fd < 0 ? "not connected to charon" : "too many requests queued");
		vq_free(r);
		return false;
	}
	*vq_tail = r;
	vq_tail = &r->next;
	vq_len++;
	if (vq_head == r)
		vici_flush();
	return true;
}

static void vici_queue_list(void)
{
	/* Not "noblock": an IKE SA charon is working on would be left out. */
	vq_add(vq_new(VR_LIST, VICI_CMD_REQUEST, "list-sas"));
	vici_resync_at = 0;
}

static void vici_try_connect(void)
{
	static const char *const events[] = {
		"ike-updown", "child-updown", "ike-rekey", "child-rekey", "list-sa",
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	vici_retry = 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", vici_conf->vici);
	/* AF_UNIX: done at once, or EAGAIN when charon's backlog is full */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		close(fd);
		goto fail;
	}
	vici_fd = fd;
	vici_in.len = 0;
	for (unsigned int i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct vici_req *r = vq_new(VR_REGISTER, VICI_EVENT_REGISTER, events[i]);

		/* charon without them: list-sas catches up */
		r->optional = !strcmp(events[i], "ike-rekey") || !strcmp(events[i], "child-rekey");
		vq_add(r);
	}
	vici_queue_list();
	return;
fail:
	if (!vici_warned)
		vd_log(4, "strongswan: cannot connect to charon on %s: %s (retrying, every %d s at most)",
		       vici_conf->vici, strerror(err), VICI_RETRY_MAX_MS / 1000);
	vici_warned = true;
	vici_retry = vd_now_ms() + vici_retry_ms;
	vici_retry_ms = vici_retry_ms * 2 > VICI_RETRY_MAX_MS ? VICI_RETRY_MAX_MS :
			vici_retry_ms * 2;
}

/* ----------------------------------------------------------- input */

static void vici_event(const char *name, const unsigned char *p, size_t len)
{
	static const struct {
		const char *name;
		enum vici_ev ev;
	} kinds[] = {
		{ "list-sa", VE_LIST },
		{ "ike-updown", VE_IKE_UPDOWN },
		{ "child-updown", VE_CHILD_UPDOWN },
		{ "ike-rekey", VE_IKE_REKEY },
		{ "child-rekey", VE_CHILD_REKEY },
	};
	enum vici_ev ev = VE_LIST;
	unsigned int k;
	bool up;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(name, kinds[k].name))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return;
	ev = kinds[k].ev;
	if (ev == VE_LIST && !vici_listing)
		return;		/* not ours */
	/* a long list-sas (thousands of SAs) is fine as long as it streams */
	if (ev == VE_LIST)
		vq_deadline = vd_now_ms() + vq_head->timeout_ms;
	if (vm_parse(&vici_msg, p, len)) {
		vd_log(4, "strongswan: ignored a malformed %s event", name);
		return;
	}
	up = vm_kv_is(&vici_msg, -1, "up", "yes");
	for (unsigned int i = 0; i < vici_conf->npaths; i++) {
		const struct vd_path *path = &vici_conf->paths[i];

		if (!path->ike[0])
			continue;
		/*
		 * What happens while a list-sas runs goes into its result too:
		 * an SA listed before it went down must not come back with it.
		 */
		if (vici_listing)
			view_apply(&vici_paths[i].fresh, path, &vici_msg, ev, up);
		if (ev != VE_LIST)
			view_apply(&vici_paths[i].live, path, &vici_msg, ev, up);
	}
	if (ev != VE_LIST)
		vici_update();
}

static void vici_queue_pull(unsigned int i, bool initiate);

/* The answer to the head request. */
static void vici_answer(unsigned int type, const unsigned char *p, size_t len)
{
	struct vici_req *r = vq_head;
	char err[256] = "";

	vq_head = r->next;
	if (!vq_head)
		vq_tail = &vq_head;
	vq_len--;
	vq_off = 0;
	vq_deadline = 0;

	switch (r->kind) {
	case VR_REGISTER:
		if (type == VICI_EVENT_CONFIRM)
			break;
		vd_log(r->optional ? 5 : 3, "strongswan: charon refused the %s%s", r->what,
		       r->optional ? " (list-sas every 30 s covers it)" : "");
		if (!r->optional) {
			vq_free(r);
			vici_reconnect_later();
			return;
		}
		break;
	case VR_LIST:
		vici_listing = false;
		if (type != VICI_CMD_RESPONSE) {
			vd_log(3, "strongswan: charon does not know list-sas");
			vq_free(r);
			vici_reconnect_later();
			return;
		}
		for (unsigned int i = 0; i < vici_conf->npaths; i++)
			view_copy(&vici_paths[i].live, &vici_paths[i].fresh);
		if (!vici_synced && (!vici_ever || vici_warned))
			vd_log(6, "strongswan: connected to charon on %s", vici_conf->vici);
		else if (!vici_synced)
			vd_log(6, "strongswan: connected to charon on %s again", vici_conf->vici);
		vici_synced = true;
		vici_ever = true;
		vici_warned = false;
		vici_retry_ms = VICI_RETRY_MS;
		vici_resync_at = vd_now_ms() + vici_resync_ms;
		vici_update();
		break;
	case VR_COMMAND:
		if (type != VICI_CMD_RESPONSE) {
			snprintf(err, sizeof(err), "charon does not know the command");
		} else if (vm_parse(&vici_msg, p, len)) {
			snprintf(err, sizeof(err), "malformed answer");
		} else if (!vm_kv_is(&vici_msg, -1, "success", "yes")) {
			if (!vm_kv(&vici_msg, -1, "errmsg", err, sizeof(err)))
				snprintf(err, sizeof(err), "success = no, no errmsg");
		}
		if (err[0] && r->path >= 0)
			vd_log(3, "path %s: charon refused to %s: %s",
			       vici_conf->paths[r->path].name, r->what, err);
		else if (err[0])
			vd_log(3, "strongswan: charon refused to %s: %s", r->what, err);
		/*
		 * restart: initiate even if the terminate found nothing to
		 * delete (the IKE SA may have gone meanwhile).
		 */
		if (r->restart && r->path >= 0 && type == VICI_CMD_RESPONSE)
			vici_queue_pull((unsigned int)r->path, true);
		break;
	}
	vq_free(r);
	vici_flush();
}

static void vici_segment(const unsigned char *p, size_t len)
{
	unsigned int type = p[0];

	if (type == VICI_EVENT) {
		char name[257];
		size_t n;

		if (len < 2 || len < 2 + (size_t)p[1])
			goto bad;
		n = p[1];
		memcpy(name, p + 2, n);
		name[n] = '\0';
		vici_event(name, p + 2 + n, len - 2 - n);
		return;
	}
	if (type != VICI_CMD_RESPONSE && type != VICI_CMD_UNKNOWN &&
	    type != VICI_EVENT_CONFIRM && type != VICI_EVENT_UNKNOWN)
		goto bad;
	/* an answer: to the request on the wire, of the right kind */
	if (!vq_head || vq_off < vq_head->msg.len ||
	    (vq_head->kind == VR_REGISTER) != (type == VICI_EVENT_CONFIRM || type == VICI_EVENT_UNKNOWN))
		goto bad;
	vici_answer(type, p + 1, len - 1);
	return;
bad:
	vd_log(3, "strongswan: unexpected packet of type %u from charon: reconnecting", type);
	vici_reconnect_later();
}

/* ----------------------------------------------------------- on-pull */

static void vici_queue_pull(unsigned int i, bool initiate)
{
	const struct vd_path *p = &vici_conf->paths[i];
	struct vici_req *r;

	r = vq_new(VR_COMMAND, VICI_CMD_REQUEST, initiate ? "initiate" : "terminate");
	snprintf(r->what, sizeof(r->what), "%s %s", initiate ? "initiate CHILD_SA" : "terminate IKE SA",
		 initiate ? p->child : p->ike);
	r->path = (int)i;
	if (initiate) {
		vb_kv(&r->msg, "child", p->child);
		vb_kv(&r->msg, "ike", p->ike);
		/* negative: charon answers at once and acts in the background */
		vb_kv(&r->msg, "timeout", "-1");
	} else {
		/*
		 * charon answers once the IKE SA is gone: the far side's
		 * answer to the DELETE or, after VICI_TERMINATE_MS, without
		 * it (force).  An initiate sent earlier could pick the dying
		 * IKE SA for its CHILD_SA and vanish with it.
		 */
		vb_kv(&r->msg, "ike", p->ike);
		vb_kv(&r->msg, "force", "yes");
		vb_kv(&r->msg, "timeout", VICI_TERMINATE_MS);
		r->restart = vici_conf->on_pull == VD_ON_PULL_RESTART && p->child[0];
	}
	vq_add(r);
}

static void vici_pull(unsigned int i, uint64_t now)
{
	const struct vd_path *p = &vici_conf->paths[i];
	struct vici_path *v = &vici_paths[i];

	if (!v->pull_last || now - v->pull_last >= VICI_PULL_RESET_MS)
		v->pull_backoff = VICI_PULL_MIN_MS;
	else if (v->pull_backoff < VICI_PULL_MAX_MS / 2)
		v->pull_backoff *= 2;
	else
		v->pull_backoff = VICI_PULL_MAX_MS;
	v->pull_last = now;
	v->pull_next = now + v->pull_backoff;
	v->pull_pending = false;
	vd_log(5, "path %s: asking charon to %s IKE SA %s (next time in %" PRIu32 " s at the earliest)",
	       p->name, vici_conf->on_pull == VD_ON_PULL_RESTART ? "restart" : "terminate", p->ike,
	       v->pull_backoff / 1000);
	vici_queue_pull(i, false);
}

/* Still worth asking: the path is down and charon still thinks it is fine. */
static bool vici_pull_wanted(const struct vd_path *p)
{
	return p->state == VPNECMP_PATH_DOWN && p->sig[VPNECMP_SIGNAL_DPD];
}

/*
 * The module pulled a path for a reason charon cannot see (probe, bgp):
 * tell the far side too, by deleting the IKE SA (and bringing the
 * child up again with "restart"), instead of letting it wait for its DPD.
 * At most once per backoff (10 s doubling to 5 min) per path: a path that
 * flaps must not have charon renegotiate in a loop.
 */
static void vici_path_state(struct vd_path *p, int state, int reason)
{
	unsigned int i = (unsigned int)(p - vici_conf->paths);
	struct vici_path *v;
	uint64_t now;

	if (!vici_conf->strongswan || vici_conf->on_pull == VD_ON_PULL_NONE || !p->ike[0] ||
	    state != VPNECMP_PATH_DOWN ||
	    (reason != VPNECMP_REASON_PROBE && reason != VPNECMP_REASON_BGP))
		return;
	if (!p->sig[VPNECMP_SIGNAL_DPD] || !vici_paths || i >= vici_conf->npaths)
		return;		/* charon already knows */
	v = &vici_paths[i];
	now = vd_now_ms();
	if (vici_fd < 0 || !vici_synced || now < v->pull_next) {
		if (!v->pull_pending)
			vd_log(5, "path %s: %s: will ask charon to %s IKE SA %s later", p->name,
			       vici_fd < 0 || !vici_synced ? "charon not connected" :
			       "pulled again within the backoff",
			       vici_conf->on_pull == VD_ON_PULL_RESTART ? "restart" : "terminate",
			       p->ike);
		v->pull_pending = true;
		return;
	}
	vici_pull(i, now);
}

/* ----------------------------------------------------------- feeder ops */

static int vici_open(struct vd_conf *conf)
{
	const char *env = getenv("VPNECMP_VICI_RESYNC_MS");

	vici_conf = conf;
	if (!conf->strongswan)
		return 0;
	/* for tests: list-sas more often than every 30 s */
	vici_resync_ms = VICI_RESYNC_MS;
	if (env && atoi(env) >= 100)
		vici_resync_ms = (uint32_t)atoi(env);
	vici_paths = calloc(conf->npaths + 1, sizeof(*vici_paths));
	if (!vici_paths)
		return -ENOMEM;
	vici_retry_ms = VICI_RETRY_MS;
	vici_try_connect();
	return 0;
}

static void vici_close(void)
{
	vici_disconnect();
	if (vici_paths) {
		for (unsigned int i = 0; i < vici_conf->npaths; i++) {
			view_free(&vici_paths[i].live);
			view_free(&vici_paths[i].fresh);
		}
	}
	free(vici_paths);
	vb_free(&vici_in);
	free(vici_msg.el);
	memset(&vici_msg, 0, sizeof(vici_msg));
	vici_paths = NULL;
	vici_retry = 0;
	vici_warned = false;
	vici_ever = false;
}

static int vici_fds(int *fds, int max)
{
	if (vici_fd < 0 || max < 1)
		return 0;
	fds[0] = vici_fd;
	return 1;
}

static void vici_handle(int fd)
{
	unsigned char tmp[16384];
	size_t total = 0;

	/* what is there, up to 256 kB a turn: the loop has other work */
	while (fd == vici_fd && total < 256 * 1024) {
		size_t off = 0;
		ssize_t n;

		n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			vd_log(4, "strongswan: charon closed the connection%s%s",
			       n ? ": " : "", n ? strerror(errno) : "");
			/* its SAs are gone or soon will be: the kernel tells us */
			vici_reconnect_later();
			return;
		}
		total += (size_t)n;
		vb_put(&vici_in, tmp, (size_t)n);
		while (vici_fd >= 0 && vici_in.len - off >= 4) {
			uint32_t len;

			memcpy(&len, vici_in.data + off, 4);
			len = ntohl(len);
			if (!len || len > VICI_MAX_SEGMENT) {
				vd_log(3, "strongswan: bad segment length %" PRIu32 ", reconnecting",
				       len);
				vici_reconnect_later();
				return;
			}
			if (vici_in.len - off < 4 + (size_t)len)
				break;
			vici_segment(vici_in.data + off + 4, len);
			off += 4 + (size_t)len;
		}
		if (vici_fd < 0)
			return;
		memmove(vici_in.data, vici_in.data + off, vici_in.len - off);
		vici_in.len -= off;
	}
}

static uint64_t vici_min(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static uint64_t vici_deadline(void)
{
	uint64_t d = 0;

	if (!vici_conf || !vici_conf->strongswan)
		return 0;
	if (vici_fd < 0)
		return vici_retry;
	d = vici_min(vq_deadline, vici_send_at);
	d = vici_min(d, vici_resync_at);
	if (vici_synced && vici_conf->on_pull != VD_ON_PULL_NONE) {
		for (unsigned int i = 0; i < vici_conf->npaths; i++)
			if (vici_paths[i].pull_pending)
				d = vici_min(d, vici_paths[i].pull_next ? vici_paths[i].pull_next : 1);
	}
	return d;
}

static void vici_timer(uint64_t now)
{
	if (vici_fd < 0) {
		if (vici_retry && now >= vici_retry)
			vici_try_connect();
		return;
	}
	if (vq_deadline && now >= vq_deadline) {
		vd_log(4, "strongswan: no answer to %s from charon on %s within %u ms (timeout): reconnecting in %" PRIu32 " ms",
		       vq_head->what, vici_conf->vici, vq_head->timeout_ms, vici_retry_ms);
		vici_reconnect_later();
		return;
	}
	if (vici_send_at && now >= vici_send_at)
		vici_flush();
	if (vici_fd < 0)
		return;
	if (vici_resync_at && now >= vici_resync_at)
		vici_queue_list();
	if (!vici_synced)
		return;
	for (unsigned int i = 0; i < vici_conf->npaths; i++) {
		struct vici_path *v = &vici_paths[i];

		if (!v->pull_pending || now < v->pull_next)
			continue;
		if (vici_pull_wanted(&vici_conf->paths[i]))
			vici_pull(i, now);
		else
			v->pull_pending = false;
	}
}

const struct vd_feeder vd_feeder_vici = {
	.name = "strongswan",
	.open = vici_open,
	.close = vici_close,
	.fds = vici_fds,
	.handle = vici_handle,
	.deadline = vici_deadline,
	.timer = vici_timer,
	.path_state = vici_path_state,
};

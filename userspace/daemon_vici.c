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
 * The dpd signal of a path is up while its IKE SA is established and, when
 * the path names one, its CHILD_SA is installed.  A dead peer (DPD), a
 * deleted IKE SA or a deleted child all make it drop.
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
#include <poll.h>
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
#define VICI_RETRY_MS		1000
#define VICI_CMD_TIMEOUT_MS	10000
/* list-sas again this often, in case an event was lost */
#define VICI_RESYNC_MS		30000
#define VICI_DEPTH		8

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

struct vici_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

static struct vd_conf *vici_conf;
static int vici_fd = -1;
static struct vici_buf vici_in;
static uint64_t vici_retry;	/* reconnect at, 0: connected or unused */
static uint64_t vici_resync_at;	/* list-sas at, 0: not connected */
static bool vici_warned;

/* Per path: what charon last said. */
struct vici_path {
	bool ike_up;
	bool child_up;
};

static struct vici_path *vici_paths;

static void vb_put(struct vici_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data) {
			vd_log(2, "out of memory");
			exit(1);
		}
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

/* A packet of type with name (or NULL); the message is appended after. */
static void vb_packet(struct vici_buf *b, unsigned int type, const char *name)
{
	b->len = 0;
	vb_put(b, "\0\0\0\0", 4);
	vb_u8(b, type);
	if (name)
		vb_name(b, name);
}

static int vb_send(int fd, struct vici_buf *b)
{
	uint32_t len = htonl((uint32_t)(b->len - 4));
	size_t off = 0;

	memcpy(b->data, &len, 4);
	while (off < b->len) {
		ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/*
 * Walk a message.  cb gets every key/value with the names of the sections
 * it sits in (stack[0] outermost); list items are passed as key/value pairs
 * of the list's name.
 */
typedef void (*vici_kv_fn)(const char *const *stack, int depth, const char *key,
			   const char *value, void *arg);

static int vici_walk(const unsigned char *p, size_t len, vici_kv_fn cb, void *arg)
{
	char names[VICI_DEPTH][257], list[257] = "", key[257], value[65536];
	const char *stack[VICI_DEPTH];
	const unsigned char *end = p + len;
	int depth = 0;

	for (int i = 0; i < VICI_DEPTH; i++)
		stack[i] = names[i];
	while (p < end) {
		unsigned int type = *p++;
		size_t n;

		switch (type) {
		case VICI_SECTION_START:
		case VICI_KEY_VALUE:
		case VICI_LIST_START:
			if (p >= end || p + 1 + *p > end)
				return -EBADMSG;
			n = *p++;
			memcpy(key, p, n);
			key[n] = '\0';
			p += n;
			if (type == VICI_SECTION_START) {
				if (depth == VICI_DEPTH)
					return -EBADMSG;
				strcpy(names[depth++], key);
				break;
			}
			if (type == VICI_LIST_START) {
				strcpy(list, key);
				break;
			}
			fallthrough;	/* to the value of the key */
		case VICI_LIST_ITEM:
			if (p + 2 > end)
				return -EBADMSG;
			n = (size_t)p[0] << 8 | p[1];
			p += 2;
			if (p + n > end)
				return -EBADMSG;
			memcpy(value, p, n);
			value[n] = '\0';
			p += n;
			cb(stack, depth, type == VICI_LIST_ITEM ? list : key, value, arg);
			break;
		case VICI_SECTION_END:
			if (!depth)
				return -EBADMSG;
			depth--;
			break;
		case VICI_LIST_END:
			list[0] = '\0';
			break;
		default:
			return -EBADMSG;
		}
	}
	return depth ? -EBADMSG : 0;
}

/* Read one whole segment, blocking up to the command timeout. */
static int vici_read_segment(int fd, struct vici_buf *b)
{
	uint32_t len;
	size_t want = 4;

	b->len = 0;
	while (b->len < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		unsigned char tmp[4096];
		ssize_t n;
		size_t room = want - b->len;

		if (poll(&pfd, 1, VICI_CMD_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, tmp, room < sizeof(tmp) ? room : sizeof(tmp), 0);
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		vb_put(b, tmp, (size_t)n);
		if (want == 4 && b->len == 4) {
			memcpy(&len, b->data, 4);
			len = ntohl(len);
			if (!len || len > VICI_MAX_SEGMENT)
				return -EBADMSG;
			want = 4 + len;
		}
	}
	return 0;
}

static int vici_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* ----------------------------------------------------------- the state */

static void vici_update(void)
{
	for (unsigned int i = 0; i < vici_conf->npaths; i++) {
		struct vd_path *p = &vici_conf->paths[i];
		struct vici_path *v = &vici_paths[i];
		bool up;

		if (!p->ike[0])
			continue;
		up = v->ike_up && (!p->child[0] || v->child_up);
		vd_signal(p, VPNECMP_SIGNAL_DPD, up,
			  !v->ike_up ? "IKE SA not established" :
			  !up ? "CHILD_SA not installed" : "IKE SA established");
	}
}

/*
 * What one message says about the IKE SAs of our paths: ike-updown and
 * child-updown carry one IKE SA, list-sa events one each.
 */
struct vici_scan {
	bool up;		/* the event's top-level "up = yes" */
	bool *ike_hit;		/* per path: its IKE SA is in the message */
	bool *ike_est;		/* ... and ESTABLISHED */
	bool *child_hit;	/* per path: its CHILD_SA is under child-sas */
};

static void vici_scan_kv(const char *const *stack, int depth, const char *key,
			 const char *value, void *arg)
{
	struct vici_scan *s = arg;

	if (depth == 0) {
		if (!strcmp(key, "up") && !strcmp(value, "yes"))
			s->up = true;
		return;
	}
	/* stack[0]: the IKE SA's name, that of its connection */
	for (unsigned int i = 0; i < vici_conf->npaths; i++) {
		struct vd_path *p = &vici_conf->paths[i];

		if (!p->ike[0] || strcmp(stack[0], p->ike))
			continue;
		s->ike_hit[i] = true;
		if (depth == 1 && !strcmp(key, "state") && !strcmp(value, "ESTABLISHED"))
			s->ike_est[i] = true;
		/* child-sas { <name>-<id> { name = CHILD ... } } */
		if (depth == 3 && !strcmp(stack[1], "child-sas") && p->child[0] &&
		    !strcmp(key, "name") && !strcmp(value, p->child))
			s->child_hit[i] = true;
	}
}

static void vici_scan_init(struct vici_scan *s)
{
	unsigned int n = vici_conf->npaths + 1;

	memset(s, 0, sizeof(*s));
	s->ike_hit = calloc(n, sizeof(bool));
	s->ike_est = calloc(n, sizeof(bool));
	s->child_hit = calloc(n, sizeof(bool));
	if (!s->ike_hit || !s->ike_est || !s->child_hit) {
		vd_log(2, "out of memory");
		exit(1);
	}
}

static void vici_scan_free(struct vici_scan *s)
{
	free(s->ike_hit);
	free(s->ike_est);
	free(s->child_hit);
}

/* An event on the event connection. */
static void vici_event(const char *name, const unsigned char *msg, size_t len)
{
	bool ike = !strcmp(name, "ike-updown"), child = !strcmp(name, "child-updown");
	struct vici_scan s;

	if (!ike && !child)
		return;
	vici_scan_init(&s);
	if (vici_walk(msg, len, vici_scan_kv, &s)) {
		vd_log(4, "strongswan: ignored a malformed %s event", name);
		vici_scan_free(&s);
		return;
	}
	for (unsigned int i = 0; i < vici_conf->npaths; i++) {
		struct vici_path *v = &vici_paths[i];

		if (!s.ike_hit[i])
			continue;
		if (ike) {
			v->ike_up = s.up;
			/*
			 * A dead IKE SA has no child left.  A new one may
			 * already have its first child: charon reports the
			 * CHILD_SA of IKE_AUTH before the IKE SA itself.
			 */
			if (!s.up)
				v->child_up = false;
		} else if (s.child_hit[i]) {
			v->child_up = s.up;
			/* a child coming up proves its IKE SA */
			if (s.up)
				v->ike_up = true;
		}
	}
	vici_scan_free(&s);
	vici_update();
}

/* One packet of the event connection. */
static void vici_packet(const unsigned char *p, size_t len)
{
	char name[257];
	size_t n;

	/* confirmations of our registrations carry nothing else */
	if (len < 2 || p[0] != VICI_EVENT || len < 2 + (size_t)p[1])
		return;
	n = p[1];
	memcpy(name, p + 2, n);
	name[n] = '\0';
	vici_event(name, p + 2 + n, len - 2 - n);
}

/* ----------------------------------------------------------- resync */

static int vici_register(int fd, const char *event)
{
	struct vici_buf b = { 0 };
	int ret;

	vb_packet(&b, VICI_EVENT_REGISTER, event);
	ret = vb_send(fd, &b);
	while (!ret) {
		ret = vici_read_segment(fd, &b);
		if (ret)
			break;
		if (b.data[4] == VICI_EVENT_CONFIRM)
			break;
		if (b.data[4] == VICI_EVENT_UNKNOWN) {
			ret = -ENOENT;
			break;
		}
		/* an event of an earlier registration: handle it */
		vici_packet(b.data + 4, b.len - 4);
	}
	free(b.data);
	return ret;
}

/* list-sas: the whole state, on a connection of its own. */
static int vici_resync(void)
{
	struct vici_buf b = { 0 };
	struct vici_scan s;
	int fd, ret;

	fd = vici_connect(vici_conf->vici);
	if (fd < 0)
		return fd;
	ret = vici_register(fd, "list-sa");
	if (!ret) {
		/*
		 * Not "noblock": an IKE SA charon is working on (IKE_AUTH
		 * under way) would be left out, and its up events may have
		 * gone before we registered.
		 */
		vb_packet(&b, VICI_CMD_REQUEST, "list-sas");
		ret = vb_send(fd, &b);
	}
	vici_scan_init(&s);
	while (!ret) {
		ret = vici_read_segment(fd, &b);
		if (ret)
			break;
		if (b.data[4] == VICI_CMD_RESPONSE)
			break;
		if (b.data[4] == VICI_EVENT && b.len > 5 && b.len >= 6 + (size_t)b.data[5]) {
			size_t n = b.data[5];

			if (vici_walk(b.data + 6 + n, b.len - 6 - n, vici_scan_kv, &s))
				ret = -EBADMSG;
		}
	}
	if (!ret) {
		for (unsigned int i = 0; i < vici_conf->npaths; i++) {
			vici_paths[i].ike_up = s.ike_est[i];
			vici_paths[i].child_up = s.child_hit[i];
		}
	}
	vici_scan_free(&s);
	free(b.data);
	close(fd);
	return ret;
}

/* A command on a connection of its own; returns 0 if charon said success. */
static int vici_command(const char *cmd, const char *k1, const char *v1, const char *k2,
			const char *v2)
{
	struct vici_buf b = { 0 };
	int fd, ret;

	fd = vici_connect(vici_conf->vici);
	if (fd < 0)
		return fd;
	vb_packet(&b, VICI_CMD_REQUEST, cmd);
	vb_kv(&b, k1, v1);
	if (k2)
		vb_kv(&b, k2, v2);
	/* negative: charon answers at once and acts in the background */
	vb_kv(&b, "timeout", "-1");
	ret = vb_send(fd, &b);
	while (!ret) {
		ret = vici_read_segment(fd, &b);
		if (!ret && b.data[4] == VICI_CMD_RESPONSE)
			break;
		if (!ret && b.data[4] == VICI_CMD_UNKNOWN)
			ret = -EOPNOTSUPP;
	}
	free(b.data);
	close(fd);
	return ret;
}

static void vici_disconnect(void)
{
	if (vici_fd >= 0)
		close(vici_fd);
	vici_fd = -1;
	vici_resync_at = 0;
	vici_in.len = 0;
}

static void vici_try_connect(void)
{
	int fd = vici_connect(vici_conf->vici);

	if (fd >= 0 && (vici_register(fd, "ike-updown") || vici_register(fd, "child-updown"))) {
		close(fd);
		fd = -EPROTO;
	}
	if (fd >= 0) {
		vici_fd = fd;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (vici_resync()) {
			vd_log(4, "strongswan: list-sas failed on %s", vici_conf->vici);
			vici_disconnect();
		} else {
			vd_log(6, "strongswan: connected to charon on %s", vici_conf->vici);
			vici_warned = false;
			vici_retry = 0;
			vici_resync_at = vd_now_ms() + VICI_RESYNC_MS;
			vici_update();
			return;
		}
	}
	if (!vici_warned)
		vd_log(4, "strongswan: cannot connect to charon on %s: %s (retrying every %d ms)",
		       vici_conf->vici, strerror(fd < 0 ? -fd : EPROTO), VICI_RETRY_MS);
	vici_warned = true;
	vici_retry = vd_now_ms() + VICI_RETRY_MS;
}

/* ----------------------------------------------------------- feeder ops */

static int vici_open(struct vd_conf *conf)
{
	vici_conf = conf;
	if (!conf->strongswan)
		return 0;
	vici_paths = calloc(conf->npaths + 1, sizeof(*vici_paths));
	if (!vici_paths)
		return -ENOMEM;
	vici_try_connect();
	return 0;
}

static void vici_close(void)
{
	vici_disconnect();
	free(vici_paths);
	free(vici_in.data);
	memset(&vici_in, 0, sizeof(vici_in));
	vici_paths = NULL;
	vici_retry = 0;
	vici_warned = false;
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
	unsigned char tmp[8192];
	ssize_t n;

	n = recv(fd, tmp, sizeof(tmp), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		vd_log(4, "strongswan: charon closed the connection");
		vici_disconnect();
		/* its SAs are gone or soon will be: the kernel tells us */
		vici_retry = vd_now_ms() + VICI_RETRY_MS;
		return;
	}
	vb_put(&vici_in, tmp, (size_t)n);
	while (vici_in.len >= 4) {
		uint32_t len;

		memcpy(&len, vici_in.data, 4);
		len = ntohl(len);
		if (!len || len > VICI_MAX_SEGMENT) {
			vd_log(3, "strongswan: bad segment length %u, reconnecting", len);
			vici_disconnect();
			vici_retry = vd_now_ms() + VICI_RETRY_MS;
			return;
		}
		if (vici_in.len < 4 + len)
			break;
		vici_packet(vici_in.data + 4, len);
		memmove(vici_in.data, vici_in.data + 4 + len, vici_in.len - 4 - len);
		vici_in.len -= 4 + len;
	}
}

static uint64_t vici_deadline(void)
{
	return vici_fd < 0 ? vici_retry : vici_resync_at;
}

static void vici_timer(uint64_t now)
{
	if (vici_fd < 0) {
		if (vici_retry)
			vici_try_connect();
		return;
	}
	if (now < vici_resync_at)
		return;
	vici_resync_at = now + VICI_RESYNC_MS;
	if (vici_resync())
		vd_log(4, "strongswan: list-sas failed on %s", vici_conf->vici);
	else
		vici_update();
}

/*
 * The module pulled a path for a reason charon cannot see (probe, bgp):
 * tell the far side too, by deleting the IKE SA (and bringing the
 * child up again with "restart"), instead of letting it wait for its DPD.
 */
static void vici_path_state(struct vd_path *p, int state, int reason)
{
	int ret;

	if (!vici_conf->strongswan || vici_conf->on_pull == VD_ON_PULL_NONE || !p->ike[0] ||
	    state != VPNECMP_PATH_DOWN ||
	    (reason != VPNECMP_REASON_PROBE && reason != VPNECMP_REASON_BGP))
		return;
	if (!p->sig[VPNECMP_SIGNAL_DPD])
		return;		/* charon already knows */
	vd_log(5, "path %s: asking charon to %s IKE SA %s", p->name,
	       vici_conf->on_pull == VD_ON_PULL_RESTART ? "restart" : "terminate", p->ike);
	ret = vici_command("terminate", "ike", p->ike, NULL, NULL);
	if (!ret && vici_conf->on_pull == VD_ON_PULL_RESTART && p->child[0])
		ret = vici_command("initiate", "child", p->child, "ike", p->ike);
	if (ret)
		vd_log(3, "path %s: charon did not take the request: %s", p->name,
		       strerror(-ret));
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

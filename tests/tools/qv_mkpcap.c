/* qv-mkpcap: writes Ethernet pcap fixtures for the tests from short packet specs,
 * and dumps pcap files one line per packet (--dump) for test diagnostics. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/frame.h"
#include "lib/mac.h"
#include "lib/num.h"
#include "lib/proto.h"

/* Big enough for jumbo frames; the snaplen written to the file header. */
#define MAX_FRAME 9600

#define ETH_HDR QV_FRAME_ETH_HLEN
#define TAG_LEN QV_FRAME_VLAN_HLEN
#define ARP_LEN 28
#define IP4_HDR QV_FRAME_IPV4_HLEN
#define IP6_HDR QV_FRAME_IPV6_HLEN
#define UDP_HDR QV_FRAME_UDP_HLEN
#define TCP_HDR 20
#define ICMP_HDR 8
/* A 4-byte sequence number followed by QV_FRAME_SEQ_MAGIC, so that --dump only reports a seq
 * for packets that really carry one (and not for whatever bytes happen to sit there). */
#define SEQ_LEN (4 + QV_FRAME_SEQ_MAGIC_LEN)

struct spec {
	int index; /* 1-based, for error messages */
	const char *text;
	unsigned long count;
	unsigned long size;
	bool size_set;
	uint8_t eth_src[6];
	uint8_t eth_dst[6];
	long vlan;              /* -1: none */
	long qinq;              /* -1: none */
	unsigned long ipv6_ext; /* IPv6 extension headers before L4 (8 B options each) */
	long eth_type;          /* -1: IP frame */
	int ip_ver;
	uint8_t ip_src[16];
	uint8_t ip_dst[16];
	int src_ver, dst_ver; /* 0: not given */
	unsigned proto;       /* as given; icmp is mapped to ICMPv6 for IPv6 when building */
	unsigned long sport, dport;
	unsigned long flows;
	bool bad_trunc;
	bool seq;
};

static const char usage_text[] =
    "Usage: qv-mkpcap OUT.pcap SPEC [SPEC...]\n"
    "       qv-mkpcap --dump IN.pcap\n"
    "       qv-mkpcap --help\n"
    "\n"
    "Writes an Ethernet (DLT_EN10MB) pcap file. Each SPEC describes COUNT packets of the\n"
    "same shape, as a comma-separated list of tokens; the specs are written in order.\n"
    "\n"
    "SPEC tokens:\n"
    "  count=N          number of packets (default 1)\n"
    "  size=N           frame length in bytes including all headers, no FCS (default 64,\n"
    "                   or the header size if that is larger; an explicit size must be\n"
    "                   at least the header size)\n"
    "  eth-src=MAC      source MAC (default 02:00:00:00:00:01)\n"
    "  eth-dst=MAC      destination MAC (default 02:00:00:00:00:02)\n"
    "  vlan=ID          802.1Q tag (TPID 0x8100), ID 0..4095\n"
    "  qinq=ID          802.1ad outer tag (TPID 0x88a8), placed before the vlan tag\n"
    "  eth-type=arp|N   non-IP frame: 'arp' builds an ARP request (sender ip-src, target\n"
    "                   ip-dst, IPv4), N (decimal or 0x hex) a frame of that EtherType\n"
    "                   with a zero payload\n"
    "  ip-src=ADDR      source IPv4 or IPv6 address (default 10.0.0.1, or fd00::1)\n"
    "  ip-dst=ADDR      destination address (default 10.0.0.2, or fd00::2); the address\n"
    "                   family picks IPv4 or IPv6, both must agree\n"
    "  proto=tcp|udp|icmp|N  L4 protocol (default udp); icmp is an echo request (ICMPv6\n"
    "                   for IPv6); N is a raw IP protocol number with no L4 header\n"
    "  src-port=N       L4 source port (default 1024; the echo id for icmp)\n"
    "  dst-port=N       L4 destination port (default 80)\n"
    "  flows=N          vary the source port over N values src-port, src-port+1, ...\n"
    "                   (packet i uses src-port + i % N): N distinct 5-tuples\n"
    "  ipv6-ext=N       N IPv6 extension headers (0..4) before L4: hop-by-hop options,\n"
    "                   then destination options, 8 bytes each\n"
    "  bad=trunc-ip     cut each frame in the middle of its IP header (L2 + 10 bytes for\n"
    "                   IPv4, + 20 for IPv6): a malformed packet a switch must drop\n"
    "  seq              put a 4-byte big-endian sequence number at the start of the L4\n"
    "                   payload (after the L2 header for non-IP frames), followed by the\n"
    "                   magic 'QVSQ'; the number counts the seq packets of the whole file\n"
    "                   from 0, so the seq packets received must read 0, 1, 2, ...\n"
    "\n"
    "IPv4 header checksums and all length fields are correct; UDP, TCP and ICMP\n"
    "checksums are computed too. IPv4 packets carry DF and TTL 64, the IP id is the\n"
    "packet's index in its spec.\n"
    "\n"
    "--dump IN.pcap prints one line per packet: index, length, tags, addresses, protocol,\n"
    "ports and the sequence number of packets made with 'seq'.\n"
    "\n"
    "Example:\n"
    "  qv-mkpcap in.pcap count=100,seq,flows=10 count=5,bad=trunc-ip \\\n"
    "      count=10,vlan=100,ip-src=fd00::1,ip-dst=fd00::2,proto=tcp,size=128,seq\n"
    "  qv-mkpcap --dump in.pcap\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Errors name the spec (its number and text) and the token, so a failing test fixture is
 * easy to find in a long command line. */
static void spec_error(const struct spec *s, const char *tok, const char *fmt, const char *arg)
{
	fprintf(stderr, "qv-mkpcap: spec %d '%s': ", s->index, s->text);
	if (tok)
		fprintf(stderr, "token '%s': ", tok);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* Decimal or 0x hex, as the usage says. */
static bool parse_ulong(const char *v, unsigned long max, unsigned long *out)
{
	uint64_t x;

	if (!qv_parse_uint(v, 0, 0, max, &x))
		return false;
	*out = (unsigned long)x;
	return true;
}

static int parse_ip(const char *v, uint8_t addr[16])
{
	if (inet_pton(AF_INET, v, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, v, addr) == 1)
		return 6;
	return 0;
}

static void parse_spec(struct spec *s, int index, char *text)
{
	memset(s, 0, sizeof(*s));
	s->index = index;
	s->text = strdup(text);
	s->count = 1;
	s->size = 64;
	qv_mac_parse("02:00:00:00:00:01", s->eth_src);
	qv_mac_parse("02:00:00:00:00:02", s->eth_dst);
	s->vlan = s->qinq = s->eth_type = -1;
	s->proto = QV_IPPROTO_UDP;
	s->sport = 1024;
	s->dport = 80;
	s->flows = 1;
	bool proto_set = false, ports_set = false;

	if (*text == '\0')
		spec_error(s, NULL, "empty spec%s", "");
	for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : NULL;
		char key[32];
		size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);

		if (klen >= sizeof(key))
			spec_error(s, tok, "unknown token (see qv-mkpcap --help)%s", "");
		memcpy(key, tok, klen);
		key[klen] = '\0';

		if (!strcmp(key, "seq")) {
			if (val)
				spec_error(s, tok, "'seq' takes no value%s", "");
			s->seq = true;
			continue;
		}
		if (!val || *val == '\0') {
			static const char *const known[] = {
			    "count",    "size",     "eth-src", "eth-dst", "vlan",
			    "qinq",     "eth-type", "ip-src",  "ip-dst",  "proto",
			    "src-port", "dst-port", "flows",   "bad",     "ipv6-ext"};
			bool is_known = false;
			for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
				is_known |= !strcmp(key, known[k]);
			if (is_known)
				spec_error(s, tok, "'%s' needs a value", key);
			spec_error(s, tok, "unknown token (see qv-mkpcap --help)%s", "");
		}

		if (!strcmp(key, "count")) {
			if (!parse_ulong(val, 100000000UL, &s->count))
				spec_error(s, tok, "count must be a number 0..100000000%s", "");
		} else if (!strcmp(key, "size")) {
			if (!parse_ulong(val, MAX_FRAME, &s->size))
				spec_error(s, tok, "size must be a number up to %s", "9600");
			s->size_set = true;
		} else if (!strcmp(key, "eth-src")) {
			if (!qv_mac_parse(val, s->eth_src))
				spec_error(s, tok, "not a MAC address (xx:xx:xx:xx:xx:xx)%s", "");
		} else if (!strcmp(key, "eth-dst")) {
			if (!qv_mac_parse(val, s->eth_dst))
				spec_error(s, tok, "not a MAC address (xx:xx:xx:xx:xx:xx)%s", "");
		} else if (!strcmp(key, "vlan") || !strcmp(key, "qinq")) {
			unsigned long id;
			if (!parse_ulong(val, 4095, &id))
				spec_error(s, tok, "VLAN id must be 0..4095%s", "");
			*(!strcmp(key, "vlan") ? &s->vlan : &s->qinq) = (long)id;
		} else if (!strcmp(key, "eth-type")) {
			unsigned long et;
			if (!strcmp(val, "arp"))
				et = QV_ETHERTYPE_ARP;
			else if (!parse_ulong(val, 0xffff, &et))
				spec_error(s, tok, "eth-type must be 'arp' or a number 0..0xffff%s",
				           "");
			if (et == QV_ETHERTYPE_IPV4 || et == QV_ETHERTYPE_IPV6 ||
			    et == QV_ETHERTYPE_VLAN || et == QV_ETHERTYPE_QINQ)
				spec_error(s, tok,
				           "use ip-src/ip-dst for IP frames and vlan/qinq for "
				           "tags, eth-type is for other frames%s",
				           "");
			s->eth_type = (long)et;
		} else if (!strcmp(key, "ip-src")) {
			if (!(s->src_ver = parse_ip(val, s->ip_src)))
				spec_error(s, tok, "not an IPv4 or IPv6 address%s", "");
		} else if (!strcmp(key, "ip-dst")) {
			if (!(s->dst_ver = parse_ip(val, s->ip_dst)))
				spec_error(s, tok, "not an IPv4 or IPv6 address%s", "");
		} else if (!strcmp(key, "proto")) {
			unsigned long p;
			if (!strcmp(val, "tcp"))
				p = QV_IPPROTO_TCP;
			else if (!strcmp(val, "udp"))
				p = QV_IPPROTO_UDP;
			else if (!strcmp(val, "icmp"))
				p = QV_IPPROTO_ICMP;
			else if (!parse_ulong(val, 255, &p))
				spec_error(s, tok, "proto must be tcp, udp, icmp or 0..255%s", "");
			s->proto = (unsigned)p;
			proto_set = true;
		} else if (!strcmp(key, "src-port")) {
			if (!parse_ulong(val, 65535, &s->sport))
				spec_error(s, tok, "port must be 0..65535%s", "");
			ports_set = true;
		} else if (!strcmp(key, "dst-port")) {
			if (!parse_ulong(val, 65535, &s->dport))
				spec_error(s, tok, "port must be 0..65535%s", "");
			ports_set = true;
		} else if (!strcmp(key, "ipv6-ext")) {
			if (!parse_ulong(val, 4, &s->ipv6_ext))
				spec_error(s, tok, "ipv6-ext must be 0..%s", "4");
		} else if (!strcmp(key, "flows")) {
			if (!parse_ulong(val, 65536, &s->flows) || s->flows == 0)
				spec_error(s, tok, "flows must be 1..65536%s", "");
		} else if (!strcmp(key, "bad")) {
			if (strcmp(val, "trunc-ip"))
				spec_error(s, tok, "unknown bad kind (only 'trunc-ip')%s", "");
			s->bad_trunc = true;
		} else {
			spec_error(s, tok, "unknown token (see qv-mkpcap --help)%s", "");
		}
	}

	/* Cross-token checks, done once everything is known. */
	if (s->src_ver && s->dst_ver && s->src_ver != s->dst_ver)
		spec_error(s, NULL, "ip-src and ip-dst are of different IP versions%s", "");
	s->ip_ver = s->src_ver ? s->src_ver : s->dst_ver ? s->dst_ver : 4;
	if (!s->src_ver)
		inet_pton(s->ip_ver == 4 ? AF_INET : AF_INET6,
		          s->ip_ver == 4 ? "10.0.0.1" : "fd00::1", s->ip_src);
	if (!s->dst_ver)
		inet_pton(s->ip_ver == 4 ? AF_INET : AF_INET6,
		          s->ip_ver == 4 ? "10.0.0.2" : "fd00::2", s->ip_dst);
	if (s->eth_type >= 0) {
		if (proto_set || ports_set || s->flows > 1 || s->bad_trunc)
			spec_error(s, NULL,
			           "proto, ports, flows and bad only apply to IP frames, not "
			           "with eth-type%s",
			           "");
		if (s->eth_type == QV_ETHERTYPE_ARP && s->ip_ver != 4)
			spec_error(s, NULL, "eth-type=arp needs IPv4 addresses%s", "");
	}
	bool has_ports =
	    s->proto == QV_IPPROTO_TCP || s->proto == QV_IPPROTO_UDP || s->proto == QV_IPPROTO_ICMP;
	if (s->flows > 1 && !has_ports)
		spec_error(s, NULL, "flows needs proto tcp, udp or icmp%s", "");
	if (s->sport + s->flows - 1 > 65535)
		spec_error(s, NULL, "src-port + flows - 1 exceeds 65535%s", "");
	if (s->seq && s->bad_trunc)
		spec_error(s, NULL, "seq needs a payload, it cannot go with bad=trunc-ip%s", "");
	if (s->ipv6_ext && s->ip_ver != 6)
		spec_error(s, NULL, "ipv6-ext needs IPv6 addresses (ip-src/ip-dst)%s", "");
}

/* Length of everything up to the payload (the sequence number, if any, included). */
static unsigned long l2_len(const struct spec *s)
{
	return ETH_HDR + (s->vlan >= 0 ? TAG_LEN : 0) + (s->qinq >= 0 ? TAG_LEN : 0);
}

static unsigned long l4_hdr_len(unsigned proto)
{
	switch (proto) {
	case QV_IPPROTO_UDP:
		return UDP_HDR;
	case QV_IPPROTO_TCP:
		return TCP_HDR;
	case QV_IPPROTO_ICMP:
		return ICMP_HDR;
	default:
		return 0;
	}
}

static unsigned long header_len(const struct spec *s)
{
	unsigned long n = l2_len(s);

	if (s->eth_type == QV_ETHERTYPE_ARP)
		n += ARP_LEN;
	else if (s->eth_type < 0)
		n += (s->ip_ver == 4 ? IP4_HDR : IP6_HDR + 8 * s->ipv6_ext) + l4_hdr_len(s->proto);
	return n + (s->seq ? SEQ_LEN : 0);
}

/* Builds packet number idx of spec s into buf; returns the frame length. */
static unsigned long build(const struct spec *s, unsigned long idx, uint32_t seq, uint8_t *buf)
{
	unsigned long len = s->size;
	unsigned long off = 12;

	if (!s->size_set && len < header_len(s))
		len = header_len(s);
	memset(buf, 0, len);
	memcpy(buf, s->eth_dst, 6);
	memcpy(buf + 6, s->eth_src, 6);
	if (s->qinq >= 0) {
		qv_put16(buf + off, QV_ETHERTYPE_QINQ);
		qv_put16(buf + off + 2, (unsigned int)s->qinq);
		off += TAG_LEN;
	}
	if (s->vlan >= 0) {
		qv_put16(buf + off, QV_ETHERTYPE_VLAN);
		qv_put16(buf + off + 2, (unsigned int)s->vlan);
		off += TAG_LEN;
	}
	uint8_t *l3 = buf + off + 2;
	unsigned long l3_len = len - (off + 2);
	uint8_t *pl;

	if (s->eth_type >= 0) {
		qv_put16(buf + off, (unsigned int)s->eth_type);
		pl = l3;
		if (s->eth_type == QV_ETHERTYPE_ARP) {
			qv_put16(l3, 1); /* Ethernet */
			qv_put16(l3 + 2, QV_ETHERTYPE_IPV4);
			l3[4] = 6;
			l3[5] = 4;
			qv_put16(l3 + 6, 1); /* request */
			memcpy(l3 + 8, s->eth_src, 6);
			memcpy(l3 + 14, s->ip_src, 4);
			memcpy(l3 + 24, s->ip_dst, 4);
			pl += ARP_LEN;
		}
	} else {
		unsigned int port = (unsigned int)(s->sport + idx % s->flows);
		unsigned proto = s->proto;
		uint8_t *l4;
		uint32_t pseudo;

		if (s->ip_ver == 4) {
			qv_put16(buf + off, QV_ETHERTYPE_IPV4);
			qv_frame_put_ipv4(l3, (uint16_t)l3_len, (uint16_t)(idx & 0xffff),
			                  (uint8_t)proto, s->ip_src, s->ip_dst);
			l4 = l3 + IP4_HDR;
			pseudo = qv_csum_add(0, l3 + 12, 8);
		} else {
			if (proto == QV_IPPROTO_ICMP)
				proto = QV_IPPROTO_ICMPV6;
			qv_put16(buf + off, QV_ETHERTYPE_IPV6);
			l3[0] = 0x60;
			qv_put16(l3 + 4, (unsigned int)(l3_len - IP6_HDR));
			l3[6] = (uint8_t)(s->ipv6_ext ? QV_IPPROTO_HOPOPTS : proto);
			l3[7] = 64;
			memcpy(l3 + 8, s->ip_src, 16);
			memcpy(l3 + 24, s->ip_dst, 16);
			l4 = l3 + IP6_HDR;
			/* hop-by-hop first, then destination options: 8 B each, one PadN */
			for (unsigned long e = 0; e < s->ipv6_ext; e++, l4 += 8) {
				l4[0] = (uint8_t)(e + 1 < s->ipv6_ext ? QV_IPPROTO_DSTOPTS : proto);
				l4[2] = 1; /* PadN over the 4 bytes left */
				l4[3] = 4;
			}
			pseudo = qv_csum_add(0, l3 + 8, 32);
		}
		unsigned long l4_len = len - (unsigned long)(l4 - buf);
		uint8_t *ck = NULL;

		pl = l4 + l4_hdr_len(s->proto);
		switch (proto) {
		case QV_IPPROTO_UDP:
			qv_frame_put_udp(l4, (uint16_t)port, (uint16_t)s->dport, (uint16_t)l4_len);
			ck = l4 + 6;
			break;
		case QV_IPPROTO_TCP:
			qv_put16(l4, port);
			qv_put16(l4 + 2, (unsigned int)s->dport);
			l4[12] = 5 << 4;
			l4[13] = 0x18; /* PSH|ACK: an established-looking data segment */
			qv_put16(l4 + 14, 0xffff);
			ck = l4 + 16;
			break;
		case QV_IPPROTO_ICMP:
		case QV_IPPROTO_ICMPV6:
			l4[0] = proto == QV_IPPROTO_ICMP ? 8 : 128; /* echo request */
			qv_put16(l4 + 4, port);
			qv_put16(l4 + 6, (unsigned int)(idx & 0xffff));
			ck = l4 + 2;
			break;
		}
		if (s->seq) {
			qv_put32(pl, seq);
			memcpy(pl + 4, QV_FRAME_SEQ_MAGIC, QV_FRAME_SEQ_MAGIC_LEN);
		}
		if (ck) {
			/* ICMPv4 has no pseudo-header; the others do (length and protocol). */
			uint32_t sum = qv_csum_add(0, l4, l4_len);
			if (proto != QV_IPPROTO_ICMP)
				sum += pseudo + (uint32_t)proto + (uint32_t)(l4_len & 0xffff) +
				       (uint32_t)(l4_len >> 16);
			uint16_t c = qv_csum_fold(sum);
			if (proto == QV_IPPROTO_UDP && c == 0)
				c = 0xffff;
			qv_put16(ck, c);
		}
		if (s->bad_trunc)
			return (unsigned long)(l3 - buf) + (s->ip_ver == 4 ? IP4_HDR : IP6_HDR) / 2;
		return len;
	}
	if (s->seq) {
		qv_put32(pl, seq);
		memcpy(pl + 4, QV_FRAME_SEQ_MAGIC, QV_FRAME_SEQ_MAGIC_LEN);
	}
	return len;
}

static const char *proto_name(unsigned p, char *buf, size_t n)
{
	switch (p) {
	case QV_IPPROTO_UDP:
		return "udp";
	case QV_IPPROTO_TCP:
		return "tcp";
	case QV_IPPROTO_ICMP:
		return "icmp";
	case QV_IPPROTO_ICMPV6:
		return "icmp6";
	}
	snprintf(buf, n, "%u", p);
	return buf;
}

static void dump_one(unsigned long n, const struct pcap_pkthdr *h, const uint8_t *p)
{
	unsigned int caplen = h->caplen, off = 12;
	char pb[8], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const uint8_t *pl = NULL;

	printf("%lu len=%u", n, h->len);
	if (caplen != h->len)
		printf(" caplen=%u", caplen);
	if (caplen < ETH_HDR) {
		printf(" short-eth\n");
		return;
	}
	unsigned int et = qv_get16(p + off);
	/* An outer tag followed by another tag is the QinQ (service) tag, whatever its TPID. */
	while (
	    (et == QV_ETHERTYPE_VLAN || et == QV_ETHERTYPE_QINQ || et == QV_ETHERTYPE_QINQ_OLD) &&
	    caplen >= off + TAG_LEN + 2) {
		unsigned int next = qv_get16(p + off + TAG_LEN);
		bool outer = et != QV_ETHERTYPE_VLAN || next == QV_ETHERTYPE_VLAN;
		printf(" %s=%u", outer ? "qinq" : "vlan", qv_get16(p + off + 2) & 0xfff);
		off += TAG_LEN;
		et = next;
	}
	const uint8_t *l3 = p + off + 2;
	unsigned int l3_len = caplen - (off + 2);

	if (et == QV_ETHERTYPE_IPV4 || et == QV_ETHERTYPE_IPV6) {
		unsigned int hl =
		    et == QV_ETHERTYPE_IPV4 ? (l3_len ? (l3[0] & 0xfu) * 4 : 0) : IP6_HDR;
		unsigned proto;

		if (l3_len < (et == QV_ETHERTYPE_IPV4 ? IP4_HDR : IP6_HDR) || hl < 20 ||
		    l3_len < hl) {
			printf(" %s trunc-ip\n", et == QV_ETHERTYPE_IPV4 ? "ipv4" : "ipv6");
			return;
		}
		if (et == QV_ETHERTYPE_IPV4) {
			inet_ntop(AF_INET, l3 + 12, a, sizeof(a));
			inet_ntop(AF_INET, l3 + 16, b, sizeof(b));
			proto = l3[9];
		} else {
			inet_ntop(AF_INET6, l3 + 8, a, sizeof(a));
			inet_ntop(AF_INET6, l3 + 24, b, sizeof(b));
			proto = l3[6];
		}
		printf(" src=%s dst=%s proto=%s", a, b, proto_name(proto, pb, sizeof(pb)));
		const uint8_t *l4 = l3 + hl;
		unsigned int l4_len = l3_len - hl;
		if ((proto == QV_IPPROTO_UDP && l4_len >= UDP_HDR) ||
		    (proto == QV_IPPROTO_TCP && l4_len >= TCP_HDR)) {
			printf(" sport=%u dport=%u", qv_get16(l4), qv_get16(l4 + 2));
			unsigned int h4 = proto == QV_IPPROTO_UDP ? UDP_HDR : (l4[12] >> 4) * 4u;
			if (h4 <= l4_len)
				pl = l4 + h4;
		} else if ((proto == QV_IPPROTO_ICMP || proto == QV_IPPROTO_ICMPV6) &&
		           l4_len >= ICMP_HDR) {
			printf(" type=%u id=%u", l4[0], qv_get16(l4 + 4));
			pl = l4 + ICMP_HDR;
		} else if (proto != QV_IPPROTO_UDP && proto != QV_IPPROTO_TCP &&
		           proto != QV_IPPROTO_ICMP && proto != QV_IPPROTO_ICMPV6) {
			pl = l4;
		} else {
			printf(" trunc-l4");
		}
	} else if (et == QV_ETHERTYPE_ARP && l3_len >= ARP_LEN) {
		inet_ntop(AF_INET, l3 + 14, a, sizeof(a));
		inet_ntop(AF_INET, l3 + 24, b, sizeof(b));
		printf(" arp op=%u src=%s dst=%s", qv_get16(l3 + 6), a, b);
		pl = l3 + ARP_LEN;
	} else {
		printf(" eth-type=0x%04x", et);
		pl = l3;
	}
	if (pl && pl + SEQ_LEN <= p + caplen &&
	    !memcmp(pl + 4, QV_FRAME_SEQ_MAGIC, QV_FRAME_SEQ_MAGIC_LEN))
		printf(" seq=%" PRIu32, (uint32_t)pl[0] << 24 | (uint32_t)pl[1] << 16 |
		                            (uint32_t)pl[2] << 8 | pl[3]);
	putchar('\n');
}

static int dump(const char *file)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(file, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long n = 0;
	int rc;

	if (!pc) {
		fprintf(stderr, "qv-mkpcap: cannot open %s: %s\n", file, err);
		return 1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "qv-mkpcap: %s: link type %d is not Ethernet\n", file,
		        pcap_datalink(pc));
		pcap_close(pc);
		return 1;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1)
		dump_one(n++, h, data);
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "qv-mkpcap: %s: read error after %lu packets: %s\n", file, n,
		        pcap_geterr(pc));
		pcap_close(pc);
		return 1;
	}
	pcap_close(pc);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_FRAME];

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--dump")) {
		if (argc != 3) {
			fprintf(stderr, "qv-mkpcap: --dump takes one file\n");
			return 1;
		}
		return dump(argv[2]);
	}
	if (argc < 3 || argv[1][0] == '-') {
		usage(stderr);
		return 1;
	}

	int nspecs = argc - 2;
	struct spec *specs = calloc((size_t)nspecs, sizeof(*specs));
	if (!specs) {
		perror("qv-mkpcap");
		return 1;
	}
	/* Parse every spec before creating the file, so a typo leaves no half-written fixture. */
	for (int i = 0; i < nspecs; i++) {
		struct spec *s = &specs[i];

		parse_spec(s, i + 1, argv[i + 2]);
		if (s->size_set && s->size < header_len(s)) {
			char need[32];
			snprintf(need, sizeof(need), "%lu", header_len(s));
			spec_error(s, NULL, "size is below the header size (%s bytes)", need);
		}
	}

	pcap_t *pd = pcap_open_dead(DLT_EN10MB, MAX_FRAME);
	if (!pd) {
		fprintf(stderr, "qv-mkpcap: pcap_open_dead failed\n");
		return 1;
	}
	pcap_dumper_t *dumper = pcap_dump_open(pd, argv[1]);
	if (!dumper) {
		fprintf(stderr, "qv-mkpcap: cannot create %s: %s\n", argv[1], pcap_geterr(pd));
		return 1;
	}
	uint32_t seq = 0;
	unsigned long total = 0;

	for (int i = 0; i < nspecs; i++) {
		for (unsigned long k = 0; k < specs[i].count; k++) {
			struct pcap_pkthdr h = {0};

			h.caplen = h.len = (bpf_u_int32)build(&specs[i], k, seq, buf);
			/* Timestamps 1 us apart keep tools that sort or diff by time happy. */
			h.ts.tv_sec = (time_t)(total / 1000000);
			h.ts.tv_usec = (suseconds_t)(total % 1000000);
			pcap_dump((u_char *)dumper, &h, buf);
			if (specs[i].seq)
				seq++;
			total++;
		}
	}
	if (pcap_dump_flush(dumper) != 0 || ferror(pcap_dump_file(dumper))) {
		fprintf(stderr, "qv-mkpcap: write error on %s\n", argv[1]);
		pcap_dump_close(dumper);
		return 1;
	}
	pcap_dump_close(dumper);
	pcap_close(pd);
	return 0;
}

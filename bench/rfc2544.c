/* qv-bench RFC 2544 search: bisection between the highest passing and lowest failing rate, the
 * ceiling tried first; trials are judged on loss and on whether the rate was really offered. */
#include "rfc2544.h"

void r2544_init(struct r2544_search *s, double floor, double ceiling, double resolution,
                double loss_ratio, double min_sent, unsigned int max_trials)
{
	*s = (struct r2544_search){
	    .loss_ratio = loss_ratio,
	    .min_sent = min_sent,
	    .resolution = resolution > 0 ? resolution : 1,
	    .max_trials = max_trials ? max_trials : 1,
	    .lo = floor,
	    .hi = ceiling,
	    .next = ceiling > floor ? ceiling : 0,
	};
}

double r2544_next(const struct r2544_search *s)
{
	return s->next;
}

bool r2544_trial_passes(const struct r2544_search *s, uint64_t offered, uint64_t sent,
                        uint64_t received)
{
	if (sent == 0 || (double)sent < s->min_sent * (double)offered)
		return false;
	uint64_t lost = received >= sent ? 0 : sent - received;
	return (double)lost <= s->loss_ratio * (double)sent;
}

bool r2544_report(struct r2544_search *s, uint64_t offered, uint64_t sent, uint64_t received)
{
	bool ok = r2544_trial_passes(s, offered, sent, received);
	double rate = s->next;

	if (rate <= 0)
		return ok;
	s->trials++;
	if (ok) {
		s->lo = rate;
		if (rate > s->best)
			s->best = rate;
	} else {
		s->hi = rate;
	}
	if (ok && !s->hi_tried) {
		s->next = 0; /* the ceiling itself passed */
	} else if (s->hi - s->lo <= s->resolution || s->trials >= s->max_trials) {
		s->next = 0;
	} else {
		s->next = s->lo + (s->hi - s->lo) / 2;
	}
	s->hi_tried = true;
	return ok;
}

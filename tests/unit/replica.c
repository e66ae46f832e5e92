/* The judging of replicated kernel jobs (lib/replica.h), case by case. */
#include "lib/replica.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static terra_replicas rs;
static char notes[4096];

static void note(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(notes, msg, sizeof notes - strlen(notes) - 2);
	strcat(notes, "\n");
}

/* A record of job `job` (its digest's first byte) on unit u of owner o. */
static void hold(int job, size_t u, char o, int64_t score, int64_t seq, int64_t busy, int result,
                 int final)
{
	terra_usage_verdict v;
	char id[TERRA_UNIT_ID_HEX], owner[TERRA_PK_HEX];

	memset(&v, 0, sizeof v);
	v.kind = TERRA_USAGE_OK;
	v.unit = u;
	v.seq = seq;
	v.busy = busy;
	v.workload = 2;
	v.replicas = 2;
	v.job_digest[0] = (uint8_t)job;
	v.result[0] = (uint8_t)result;
	v.final = final;
	snprintf(id, sizeof id, "%032zu", u);
	memset(owner, o, sizeof owner - 1);
	owner[sizeof owner - 1] = 0;
	if (terra_replicas_hold(&rs, &v, id, owner, score) < 0)
		abort();
}

static int judge(size_t owners)
{
	notes[0] = 0;
	return terra_replicas_judge(&rs, owners, note, NULL);
}

static void reset(void)
{
	terra_replicas_free(&rs);
}

int main(void)
{
	/* agreeing: each credited the least score x busy / own score; interim too */
	hold(1, 0, 'a', 10, 1, 60, 7, 0);
	hold(1, 0, 'a', 10, 2, 40, 7, 1);
	hold(1, 1, 'b', 40, 1, 50, 7, 1);
	ok(judge(2) == 0, "two owners agree: judged");
	is_int(rs.r[0].cls, TERRA_REPLICA_CREDITED, "the interim record is credited");
	is_int(rs.r[0].credited + rs.r[1].credited, 100,
	       "unit 0: 10 x 100 is the least: all of it");
	is_int(rs.r[0].credited, 60, "spread by busy time: the interim record's share");
	is_int(rs.r[2].credited, 25, "unit 1: 1000 / 40 of its 50");
	ok(!notes[0], "nothing to say");
	reset();

	/* the least claim is the cap: unit 1 inflating its busy time gains nothing */
	hold(1, 0, 'a', 10, 1, 100, 7, 1);
	hold(1, 1, 'b', 40, 1, 5000, 7, 1);
	judge(2);
	is_int(rs.r[1].credited, 25, "an inflated busy time: still 1000 / 40");
	reset();

	/* disagreeing pair: neither */
	hold(1, 0, 'a', 10, 1, 100, 7, 1);
	hold(1, 1, 'b', 10, 1, 100, 8, 1);
	judge(2);
	ok(rs.r[0].cls == TERRA_REPLICA_DISSENTING && rs.r[1].cls == TERRA_REPLICA_DISSENTING,
	   "two results of two: both dissenting");
	ok(!rs.r[0].credited && !rs.r[1].credited, "and nothing credited");
	like(notes, "the replicas disagree: 2 results among 2 units of 2 owners",
	     "the note says so");
	reset();

	/* one owner's two units: only when it is the registry's only owner */
	hold(1, 0, 'a', 10, 1, 100, 7, 1);
	hold(1, 1, 'a', 10, 1, 100, 7, 1);
	judge(2);
	is_int(rs.r[0].cls, TERRA_REPLICA_UNMATCHED, "one owner, two registered: unmatched");
	like(notes, "are of 1 owners; 2 are needed", "the note says so");
	judge(1);
	is_int(rs.r[0].cls, TERRA_REPLICA_CREDITED, "one owner, the only one registered: credited");
	reset();

	/* a unit whose final records disagree dissents; no final record: unmatched */
	hold(1, 0, 'a', 10, 1, 100, 7, 1);
	hold(1, 0, 'a', 10, 2, 100, 8, 1);
	hold(1, 1, 'b', 10, 1, 100, 7, 0);
	judge(2);
	is_int(rs.r[0].cls, TERRA_REPLICA_DISSENTING, "final records that disagree: dissenting");
	is_int(rs.r[2].cls, TERRA_REPLICA_UNMATCHED, "no final record: unmatched");
	like(notes, "no final record of the job in this input", "the note says so");
	reset();

	/* many units of one owner outvote no one */
	hold(1, 0, 'a', 10, 1, 100, 7, 1);
	hold(1, 1, 'b', 10, 1, 100, 7, 1);
	hold(1, 2, 'c', 10, 1, 100, 9, 1);
	hold(1, 3, 'c', 10, 1, 100, 9, 1);
	hold(1, 4, 'c', 10, 1, 100, 9, 1);
	judge(3);
	ok(rs.r[0].cls == TERRA_REPLICA_CREDITED && rs.r[1].cls == TERRA_REPLICA_CREDITED,
	   "two owners against one owner's three units: the two are credited");
	is_int(rs.r[4].cls, TERRA_REPLICA_DISSENTING, "the three units dissent");
	reset();

	/* two jobs judged apart; a unit without a score is credited nothing */
	hold(1, 0, 'a', 10, 1, 100, 7, 1);
	hold(2, 0, 'a', 10, 2, 100, 7, 1);
	hold(1, 1, 'b', 0, 1, 100, 7, 1);
	hold(2, 1, 'b', 20, 2, 100, 7, 1);
	judge(2);
	is_int(rs.r[0].credited, 100, "job 1: the scored unit gets its own claim");
	is_int(rs.r[2].credited, 0, "job 1: the unit without a score gets nothing");
	is_int(rs.r[1].credited, 100, "job 2: 1000 / 10");
	is_int(rs.r[3].credited, 50, "job 2: 1000 / 20");
	reset();

	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

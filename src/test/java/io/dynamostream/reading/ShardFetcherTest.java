package io.dynamostream.reading;

import static io.dynamostream.reading.FakeStreams.SHARD_ID;
import static io.dynamostream.reading.FakeStreams.STREAM_ARN;
import static io.dynamostream.reading.FakeStreams.sequenceNumbers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.dynamostream.aws.StreamErrors;
import io.dynamostream.reading.ShardFetcher.Fetch;
import software.amazon.awssdk.services.dynamodb.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;

/** The iterator lifecycle of one shard: where it opens, what it follows, and what it reports instead of throwing. */
class ShardFetcherTest {

    private static final int LIMIT = 100;

    private final FakeStreams streams = new FakeStreams();

    private ShardFetcher fetcherAfter(String after) {
        return new ShardFetcher(streams, STREAM_ARN, SHARD_ID, after, LIMIT);
    }

    private static Fetch.Page page(Fetch fetch) {
        return assertInstanceOf(Fetch.Page.class, fetch);
    }

    private static void assertOpened(GetShardIteratorRequest request, ShardIteratorType type, String sequenceNumber) {
        assertEquals(STREAM_ARN, request.streamArn());
        assertEquals(SHARD_ID, request.shardId());
        assertEquals(type, request.shardIteratorType());
        assertEquals(sequenceNumber, request.sequenceNumber());
    }

    // ---- opening

    @Test
    void givenNoStartingPoint_whenFetched_thenOpensAtTrimHorizonAndReturnsThePage() {
        streams.page("100", "101");
        ShardFetcher fetcher = fetcherAfter(null);

        Fetch.Page page = page(fetcher.fetch());

        assertEquals(1, streams.iteratorRequests.size());
        assertOpened(streams.iteratorRequests.get(0), ShardIteratorType.TRIM_HORIZON, null);
        assertEquals(List.of("100", "101"), sequenceNumbers(page.records()));
        assertFalse(page.endOfShard());
        assertEquals(LIMIT, streams.recordsRequests.get(0).limit());
    }

    @Test
    void givenCheckpoint_whenFetched_thenOpensAfterThatSequenceNumber() {
        streams.page("501");
        ShardFetcher fetcher = fetcherAfter("500");

        Fetch.Page page = page(fetcher.fetch());

        assertOpened(streams.iteratorRequests.get(0), ShardIteratorType.AFTER_SEQUENCE_NUMBER, "500");
        assertEquals(List.of("501"), sequenceNumbers(page.records()));
        assertEquals("501", fetcher.lastRead());
    }

    @Test
    void givenLatest_whenOpened_thenPositionIsFixedAtOnceAndTheFirstFetchUsesThatIterator() {
        streams.page("900");
        ShardFetcher fetcher = fetcherAfter(null);

        fetcher.openLatest();

        // the position is fixed when openLatest returns, not at the first fetch (records written between the two
        // would otherwise be skipped)
        assertEquals(1, streams.iteratorRequests.size());
        assertOpened(streams.iteratorRequests.get(0), ShardIteratorType.LATEST, null);
        assertNull(fetcher.lastRead());

        Fetch.Page page = page(fetcher.fetch());

        assertEquals(1, streams.iteratorRequests.size(), "no second GetShardIterator");
        assertEquals(List.of("900"), sequenceNumbers(page.records()));
    }

    // ---- following

    @Test
    void givenOpenShard_whenFetchedRepeatedly_thenFollowsEachNextIteratorWithoutReopening() {
        streams.page("1", "2").page().page("3");
        ShardFetcher fetcher = fetcherAfter(null);

        List<String> read = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            read.addAll(sequenceNumbers(page(fetcher.fetch()).records()));
        }

        assertEquals(List.of("1", "2", "3"), read);
        assertEquals(1, streams.iteratorRequests.size(), "one GetShardIterator, then next iterators");
        List<String> used = streams.iteratorsUsed();
        assertEquals(3, used.size());
        assertEquals(3, used.stream().distinct().count(), "each call uses the previous page's next iterator");
    }

    @Test
    void givenClosedShard_whenLastPageRead_thenEndOfShardIsReported() {
        streams.page("1").lastPage("2");
        ShardFetcher fetcher = fetcherAfter(null);

        Fetch.Page first = page(fetcher.fetch());
        Fetch.Page last = page(fetcher.fetch());

        assertFalse(first.endOfShard());
        assertTrue(last.endOfShard());
        assertEquals(List.of("2"), sequenceNumbers(last.records()));
        assertEquals("2", fetcher.lastRead());
    }

    @Test
    void givenClosedShardWithNothingLeft_whenRead_thenAnEmptyEndOfShardPage() {
        streams.lastPage();
        ShardFetcher fetcher = fetcherAfter("77");

        Fetch.Page page = page(fetcher.fetch());

        assertTrue(page.endOfShard());
        assertTrue(page.records().isEmpty());
        assertEquals("77", fetcher.lastRead(), "an empty page does not move the position");
    }

    // ---- expired iterators

    @Test
    void givenRecordsRead_whenIteratorExpires_thenReopensAfterTheLastRecordRead() {
        streams.page("10", "11").fail(FakeStreams.expired()).page("12");
        ShardFetcher fetcher = fetcherAfter(null);
        page(fetcher.fetch());

        Fetch expired = fetcher.fetch();
        Fetch.Page next = page(fetcher.fetch());

        assertEquals(new Fetch.Expired(false), expired);
        assertEquals(2, streams.iteratorRequests.size());
        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.AFTER_SEQUENCE_NUMBER, "11");
        assertEquals(List.of("12"), sequenceNumbers(next.records()));
    }

    @Test
    void givenLatestIteratorAndNoRecordYet_whenItExpires_thenPositionLost() {
        streams.page().fail(FakeStreams.expired());
        ShardFetcher fetcher = fetcherAfter(null);
        fetcher.openLatest();
        page(fetcher.fetch()); // an empty page: still nothing to re-open after

        assertEquals(new Fetch.Expired(true), fetcher.fetch());
    }

    @Test
    void givenLatestIteratorThatReadRecords_whenItExpires_thenReopensAfterTheLastRecordNotLatest() {
        streams.page("40").fail(FakeStreams.expired()).page("41");
        ShardFetcher fetcher = fetcherAfter(null);
        fetcher.openLatest();
        page(fetcher.fetch());

        assertEquals(new Fetch.Expired(false), fetcher.fetch());
        page(fetcher.fetch());

        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.AFTER_SEQUENCE_NUMBER, "40");
    }

    @Test
    void givenTrimHorizonIteratorAndNoRecordYet_whenItExpires_thenReopensAtTrimHorizonNotLost() {
        streams.page().fail(FakeStreams.expired()).page("1");
        ShardFetcher fetcher = fetcherAfter(null);
        page(fetcher.fetch());

        assertEquals(new Fetch.Expired(false), fetcher.fetch());
        page(fetcher.fetch());

        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.TRIM_HORIZON, null);
    }

    // ---- trimmed

    @Test
    void givenPositionOlderThanRetention_whenGetRecordsTrimmed_thenTrimmedIsReported() {
        streams.fail(FakeStreams.trimmed());
        ShardFetcher fetcher = fetcherAfter("300");

        assertEquals(new Fetch.Trimmed(), fetcher.fetch());
    }

    @Test
    void givenCheckpointOlderThanRetention_whenOpeningAfterIt_thenTrimmedIsReported() {
        streams.trimmedAfter("300");
        ShardFetcher fetcher = fetcherAfter("300");

        assertEquals(new Fetch.Trimmed(), fetcher.fetch());
        assertEquals(0, streams.getRecordsCalls());
    }

    // ---- transient and terminal errors

    @Test
    void givenThrottlingServerAndNetworkErrors_whenFetched_thenEachIsTransientAndReadingResumesWhereItStopped() {
        List<RuntimeException> errors = List.of(FakeStreams.throttled(), FakeStreams.networkError(),
                FakeStreams.serverError());
        streams.page("1", "2");
        errors.forEach(streams::fail);
        streams.page("3");
        ShardFetcher fetcher = fetcherAfter(null);
        page(fetcher.fetch());

        for (RuntimeException error : errors) {
            Fetch.Transient t = assertInstanceOf(Fetch.Transient.class, fetcher.fetch());
            assertSame(error, t.error());
        }
        Fetch.Page next = page(fetcher.fetch());

        assertEquals(List.of("3"), sequenceNumbers(next.records()), "no record lost or read twice");
        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.AFTER_SEQUENCE_NUMBER, "2");
    }

    @Test
    void givenTransientErrorWhileOpening_whenFetched_thenTransientNotFailed() {
        streams.failNextIterator(FakeStreams.throttled()).page("5");
        ShardFetcher fetcher = fetcherAfter("4");

        assertInstanceOf(Fetch.Transient.class, fetcher.fetch());
        assertEquals(List.of("5"), sequenceNumbers(page(fetcher.fetch()).records()));
        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.AFTER_SEQUENCE_NUMBER, "4");
    }

    @Test
    void givenStreamGone_whenFetched_thenFailedNotFoundWithTheAwsMessage() {
        streams.fail(FakeStreams.notFound());
        ShardFetcher fetcher = fetcherAfter(null);

        Fetch.Failed failed = assertInstanceOf(Fetch.Failed.class, fetcher.fetch());

        assertEquals(StreamErrors.NOT_FOUND, failed.kind());
        assertTrue(failed.message().contains("ResourceNotFoundException"), failed.message());
        assertTrue(failed.message().contains("not found"), failed.message());
    }

    @Test
    void givenShardGoneWhileOpening_whenFetched_thenFailedNotFound() {
        streams.failNextIterator(FakeStreams.notFound());
        ShardFetcher fetcher = fetcherAfter(null);

        Fetch.Failed failed = assertInstanceOf(Fetch.Failed.class, fetcher.fetch());

        assertEquals(StreamErrors.NOT_FOUND, failed.kind());
    }

    @Test
    void givenAccessDenied_whenFetched_thenFailedFatalNotRetried() {
        streams.fail(FakeStreams.accessDenied());
        ShardFetcher fetcher = fetcherAfter(null);

        Fetch.Failed failed = assertInstanceOf(Fetch.Failed.class, fetcher.fetch());

        assertEquals(StreamErrors.FATAL, failed.kind());
        assertTrue(failed.message().contains("AccessDeniedException"), failed.message());
    }

    @Test
    void givenUnexpectedRuntimeException_whenFetched_thenReportedAsFailedNeverThrown() {
        streams.fail(new IllegalStateException("bug in the SDK"));
        ShardFetcher fetcher = fetcherAfter(null);

        Fetch.Failed failed = assertInstanceOf(Fetch.Failed.class, fetcher.fetch());

        assertEquals(StreamErrors.FATAL, failed.kind());
    }

    // ---- restart, retention check, lastRead

    @Test
    void givenRecordsRead_whenRestartedAfterAnEarlierSequenceNumber_thenReopensThereAndLastReadFollows() {
        streams.page("1", "2", "3").page("2", "3");
        ShardFetcher fetcher = fetcherAfter(null);
        page(fetcher.fetch());

        fetcher.restartAfter("1");

        assertEquals("1", fetcher.lastRead());
        assertEquals(List.of("2", "3"), sequenceNumbers(page(fetcher.fetch()).records()));
        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.AFTER_SEQUENCE_NUMBER, "1");
    }

    @Test
    void givenRecordsRead_whenRestartedWithoutSequenceNumber_thenReopensAtTrimHorizon() {
        streams.page("7").page("1");
        ShardFetcher fetcher = fetcherAfter("6");
        page(fetcher.fetch());

        fetcher.restartAfter(null);

        assertNull(fetcher.lastRead());
        page(fetcher.fetch());
        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.TRIM_HORIZON, null);
    }

    @Test
    void givenLatestIterator_whenRestartedAtTrimHorizonAndExpiresBeforeAnyRecord_thenNotReportedAsLost() {
        // after a lost LATEST position the reader restarts at TRIM_HORIZON; a later expiry must re-open there,
        // not at LATEST again
        streams.fail(FakeStreams.expired()).fail(FakeStreams.expired()).page("1");
        ShardFetcher fetcher = fetcherAfter(null);
        fetcher.openLatest();
        assertEquals(new Fetch.Expired(true), fetcher.fetch());

        fetcher.restartAfter(null);

        assertEquals(new Fetch.Expired(false), fetcher.fetch());
        page(fetcher.fetch());
        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.TRIM_HORIZON, null);
    }

    @Test
    void givenRetainedSequenceNumber_whenAskedIfRetained_thenTrueFromAnIteratorAfterIt() {
        ShardFetcher fetcher = fetcherAfter(null);

        assertTrue(fetcher.retainedAfter("250"));

        assertOpened(streams.lastIteratorRequest(), ShardIteratorType.AFTER_SEQUENCE_NUMBER, "250");
    }

    @Test
    void givenTrimmedSequenceNumber_whenAskedIfRetained_thenFalse() {
        streams.trimmedAfter("250");
        ShardFetcher fetcher = fetcherAfter(null);

        assertFalse(fetcher.retainedAfter("250"));
    }

    @Test
    void givenAnyErrorWhileChecking_whenAskedIfRetained_thenFalseSoTheGapIsReported() {
        streams.failNextIterator(FakeStreams.networkError());
        ShardFetcher fetcher = fetcherAfter(null);

        assertFalse(fetcher.retainedAfter("250"));
    }

    @Test
    void givenRetentionCheckDuringReading_whenNextFetched_thenReadingGoesOnWithItsOwnIterator() {
        streams.page("1").page("2");
        ShardFetcher fetcher = fetcherAfter(null);
        page(fetcher.fetch());

        fetcher.retainedAfter("0");

        assertEquals(List.of("2"), sequenceNumbers(page(fetcher.fetch()).records()));
        assertEquals(2, streams.iteratorRequests.size(), "no re-open after the check");
    }

    @Test
    void givenPagesWithAndWithoutRecords_whenFetched_thenLastReadIsTheLastRecordOfTheLastNonEmptyPage() {
        streams.page("8", "9").page().page("10").page();
        ShardFetcher fetcher = fetcherAfter("7");
        assertEquals("7", fetcher.lastRead());

        page(fetcher.fetch());
        assertEquals("9", fetcher.lastRead());
        page(fetcher.fetch());
        assertEquals("9", fetcher.lastRead());
        page(fetcher.fetch());
        assertEquals("10", fetcher.lastRead());
        page(fetcher.fetch());
        assertEquals("10", fetcher.lastRead());
    }

    @Test
    void givenFailedCall_whenErrorReported_thenLastReadIsUnchanged() {
        streams.page("8", "9").fail(FakeStreams.serverError()).fail(FakeStreams.trimmed());
        ShardFetcher fetcher = fetcherAfter(null);
        page(fetcher.fetch());

        fetcher.fetch();
        fetcher.fetch();

        assertEquals("9", fetcher.lastRead());
    }
}

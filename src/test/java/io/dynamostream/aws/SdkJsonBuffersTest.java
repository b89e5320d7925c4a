package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.thirdparty.jackson.core.util.BufferRecycler;
import software.amazon.awssdk.thirdparty.jackson.core.util.JsonRecyclerPools;
import software.amazon.awssdk.thirdparty.jackson.core.util.RecyclerPool;

class SdkJsonBuffersTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void givenEachCallOnANewThread_whenBuffersAreShared_thenACallAllocatesTheJsonBuffersNoMore() throws Exception {
        RecyclerPool<BufferRecycler> shared = SdkJsonBuffers.shareAcrossThreads();
        assertSame(shared, SdkJsonBuffers.factory()._getRecyclerPool(), "the SDK's JSON factory uses the pool");
        assertSame(shared, SdkJsonBuffers.shareAcrossThreads(), "once per process");
        try (RawHttpServer server = new RawHttpServer();
                DynamoDbStreamsClient client = DynamoDbStreamsClient.builder()
                        .endpointOverride(URI.create("http://127.0.0.1:" + server.port()))
                        .region(Region.US_EAST_1)
                        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                        .httpClientBuilder(Apache5HttpClient.builder()).build()) {
            long perThread;
            try {
                // the SDK's default: a pool per thread, empty on every new thread (as on a reader's virtual thread)
                SdkJsonBuffers.factory().setRecyclerPool(JsonRecyclerPools.threadLocalPool());
                perThread = medianBytesPerCall(client);
            } finally {
                SdkJsonBuffers.factory().setRecyclerPool(shared);
            }
            long sharedBytes = medianBytesPerCall(client);
            assertTrue(shared.pooledCount() >= 1, "the SDK gave its buffers back to the pool");
            // a writer's 8,000-byte encoding buffer and a reader's 8,000-byte input buffer at least
            assertTrue(sharedBytes <= perThread - 16_000, "a call on a new thread allocated " + sharedBytes
                    + " bytes with shared buffers, " + perThread + " with a pool per thread");
        }
    }

    /** The median of the bytes that one ListStreams call allocates on a thread of its own, over 15 calls. */
    private static long medianBytesPerCall(DynamoDbStreamsClient client) throws InterruptedException {
        long[] bytes = new long[15];
        for (int i = -5; i < bytes.length; i++) { // 5 calls first, to load and link what a call needs
            AtomicLong allocated = new AtomicLong();
            Thread t = Thread.ofPlatform().start(() -> {
                long before = THREADS.getCurrentThreadAllocatedBytes();
                client.listStreams();
                allocated.set(THREADS.getCurrentThreadAllocatedBytes() - before);
            });
            t.join();
            if (i >= 0) {
                bytes[i] = allocated.get();
            }
        }
        Arrays.sort(bytes);
        return bytes[bytes.length / 2];
    }
}

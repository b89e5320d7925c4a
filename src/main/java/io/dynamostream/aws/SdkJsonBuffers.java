package io.dynamostream.aws;

import org.jboss.logging.Logger;

import software.amazon.awssdk.protocols.json.internal.AwsStructuredPlainJsonFactory;
import software.amazon.awssdk.thirdparty.jackson.core.JsonFactory;
import software.amazon.awssdk.thirdparty.jackson.core.util.BufferRecycler;
import software.amazon.awssdk.thirdparty.jackson.core.util.JsonRecyclerPools;
import software.amazon.awssdk.thirdparty.jackson.core.util.RecyclerPool;

/**
 * Lets the AWS SDK's JSON writer and reader reuse their buffers across threads.
 *
 * <p>Every call of a JSON-protocol client (DynamoDB Streams, DynamoDB, Lambda, SQS, EventBridge) writes its request
 * and reads its answer with one JSON factory that the SDK shares between all of them. Jackson gives each writer and
 * reader about 16 to 24 KB of buffers from a pool that is, by default, one per thread. The readers run on virtual
 * threads, a new one for each poll of a quiet shard, so that pool was always empty: every GetRecords allocated its
 * buffers anew, which was about 89 % of the service's allocation when idle (JFR, 2,500 idle shards: a young
 * collection every 1.1 s and a concurrent mark every 3.5 s). Here the factory takes a bounded pool shared by all
 * threads instead: calls reuse what earlier calls released, and at most {@link #POOL_SIZE} sets of buffers (about
 * 1.5 MB) are kept when a burst has ended. Calls beyond it, while more run at once, allocate as before.
 *
 * <p>The factory is reached through {@code AwsStructuredPlainJsonFactory}, public but in an SDK package named
 * {@code internal}: an SDK upgrade that moves it breaks the build or {@code SdkJsonBuffersTest}, not the service.
 */
final class SdkJsonBuffers {

    private static final Logger LOG = Logger.getLogger(SdkJsonBuffers.class);

    /** Buffer sets kept for reuse: more than the calls in flight when idle, a little of a restart's burst. */
    static final int POOL_SIZE = 64;

    // set when first asked for, at run time, not in a static initialiser: a native build may run those at build time
    private static final Object LOCK = new Object();
    private static RecyclerPool<BufferRecycler> pool;

    private SdkJsonBuffers() {
    }

    /**
     * Gives the SDK's shared JSON factory a pool of buffers shared across threads, once per process; later calls
     * return the same pool.
     */
    static RecyclerPool<BufferRecycler> shareAcrossThreads() {
        synchronized (LOCK) {
            if (pool == null) {
                pool = JsonRecyclerPools.newBoundedPool(POOL_SIZE);
                factory().setRecyclerPool(pool);
                LOG.debugf("AWS SDK JSON buffers: a pool of %d shared across threads", POOL_SIZE);
            }
            return pool;
        }
    }

    /** The JSON factory of the SDK's JSON-protocol clients, which writes every request and reads every answer. */
    static JsonFactory factory() {
        return AwsStructuredPlainJsonFactory.SDK_JSON_FACTORY.getJsonFactory();
    }
}

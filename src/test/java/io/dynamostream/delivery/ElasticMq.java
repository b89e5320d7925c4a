package io.dynamostream.delivery;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A real SQS server for tests: ElasticMQ (standard and FIFO queues) in this JVM on a free loopback port, with a
 * client to create queues and read what arrived. Stopped by {@link #close}.
 */
public final class ElasticMq implements AutoCloseable {

    private final SQSRestServer server;
    private final URI endpoint;
    private final SqsClient sqs;

    public ElasticMq() {
        server = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().withAWSAccountId("123456789012")
                .withAWSRegion("us-east-1").start();
        int port = server.waitUntilStarted().localAddress().getPort();
        endpoint = URI.create("http://127.0.0.1:" + port);
        sqs = SqsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x"))).build();
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Creates the queue (FIFO when the name ends in .fifo) and returns its ARN. */
    public String create(String name) {
        Map<QueueAttributeName, String> attributes = name.endsWith(".fifo")
                ? Map.of(QueueAttributeName.FIFO_QUEUE, "true") : Map.of();
        sqs.createQueue(r -> r.queueName(name).attributes(attributes));
        return "arn:aws:sqs:us-east-1:123456789012:" + name;
    }

    /** Deletes the queue. */
    public void delete(String name) {
        sqs.deleteQueue(r -> r.queueUrl(sqs.getQueueUrl(q -> q.queueName(name)).queueUrl()));
    }

    /** Every message now in the queue, in the order SQS hands them out, received and deleted. */
    public List<Message> drain(String name) {
        String url = sqs.getQueueUrl(r -> r.queueName(name)).queueUrl();
        java.util.ArrayList<Message> all = new java.util.ArrayList<>();
        while (true) {
            List<Message> got = sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(0)
                    .messageAttributeNames("All").messageSystemAttributeNames(MessageSystemAttributeName.ALL))
                    .messages();
            if (got.isEmpty()) {
                return all;
            }
            all.addAll(got);
            for (Message m : got) {
                sqs.deleteMessage(r -> r.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
    }

    @Override
    public void close() {
        sqs.close();
        // stopAndWait() waits up to a minute for idle keep-alive connections (the JDK keeps them after a client is
        // closed, and a killed service's may linger): stop, and give it a few seconds at most
        scala.concurrent.Future<Object> stopped = server.stopAndGetFuture().apply();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .pollInterval(java.time.Duration.ofMillis(50)).until(stopped::isCompleted);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // its port is unbound already; the rest stops in the background
        }
    }
}

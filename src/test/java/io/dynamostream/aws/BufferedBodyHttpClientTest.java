package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * The Streams client's HTTP client sends the same request as the SDK's URL connection client (the Content-Length the
 * signature covers, the body, no chunking) over kept-alive connections, without probing each reused connection, and
 * a connection the server closed between two calls costs no failed call.
 */
class BufferedBodyHttpClientTest {

    /** A minimal HTTP/1.1 server: records each request's headers and body, answers 200 {}. */
    private static final class Server implements AutoCloseable {
        final ServerSocket socket;
        final boolean closeAfterEachAnswer;
        final AtomicInteger connections = new AtomicInteger();
        final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
        final List<String> bodies = new CopyOnWriteArrayList<>();

        Server(boolean closeAfterEachAnswer) throws IOException {
            this.closeAfterEachAnswer = closeAfterEachAnswer;
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket connection = socket.accept();
                        connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(connection));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
        }

        private void serve(Socket connection) {
            try (connection; InputStream in = new BufferedInputStream(connection.getInputStream());
                    OutputStream out = connection.getOutputStream()) {
                while (true) {
                    Map<String, String> request = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                    String line = readLine(in);
                    if (line == null) {
                        return;
                    }
                    while (!(line = readLine(in)).isEmpty()) {
                        int colon = line.indexOf(':');
                        request.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                    }
                    byte[] body = in.readNBytes(Integer.parseInt(request.getOrDefault("Content-Length", "0")));
                    headers.add(request);
                    bodies.add(new String(body, StandardCharsets.UTF_8));
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2"
                            + "\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (closeAfterEachAnswer) {
                        return; // as a server closing an idle kept-alive connection, without saying so
                    }
                }
            } catch (IOException | RuntimeException ended) {
                // the client went away
            }
        }

        private static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != '\n') {
                if (b == -1) {
                    return null;
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private Server server;
    private final SdkHttpClient client = new BufferedBodyHttpClient(UrlConnectionHttpClient.create());

    @AfterEach
    void close() throws IOException {
        client.close();
        if (server != null) {
            server.close();
        }
    }

    private int post(String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        SdkHttpFullRequest request = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(server.uri())
                .putHeader("Content-Type", "application/x-amz-json-1.0")
                .putHeader("Content-Length", Integer.toString(bytes.length))
                .putHeader("X-Amz-Target", "DynamoDBStreams_20120810.GetRecords").build();
        HttpExecuteResponse response = client.prepareRequest(HttpExecuteRequest.builder().request(request)
                .contentStreamProvider(ContentStreamProvider.fromByteArray(bytes)).build()).call();
        try (InputStream answer = response.responseBody().orElseThrow()) {
            answer.readAllBytes();
        }
        return response.httpResponse().statusCode();
    }

    @Test
    void givenCalls_whenSent_thenEachCarriesItsContentLengthAndBodyOverOneKeptAliveConnection() throws IOException {
        server = new Server(false);
        for (int i = 0; i < 20; i++) {
            String body = "{\"ShardIterator\":\"iterator-" + "x".repeat(i * 37) + "\",\"Limit\":1000}";
            assertEquals(200, post(body));
            Map<String, String> seen = server.headers.get(i);
            assertEquals(Integer.toString(body.getBytes(StandardCharsets.UTF_8).length), seen.get("Content-Length"));
            assertFalse(seen.containsKey("Transfer-Encoding"), seen::toString);
            assertEquals("DynamoDBStreams_20120810.GetRecords", seen.get("X-Amz-Target"));
            assertEquals(body, server.bodies.get(i));
        }
        assertEquals(1, server.connections.get(), "20 calls, one kept-alive connection");
    }

    @Test
    void givenAServerThatClosesKeptAliveConnections_whenCalledAgain_thenEveryCallSucceedsOnce() throws IOException {
        server = new Server(true);
        for (int i = 0; i < 10; i++) {
            assertEquals(200, post("{\"n\":" + i + "}"), "call " + i);
        }
        assertEquals(10, server.bodies.size(), server.bodies::toString);
        for (int i = 0; i < 10; i++) {
            assertEquals(String.format(Locale.ROOT, "{\"n\":%d}", i), server.bodies.get(i));
        }
    }
}

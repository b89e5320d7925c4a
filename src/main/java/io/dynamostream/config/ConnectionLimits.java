package io.dynamostream.config;

import org.eclipse.microprofile.config.spi.Converter;

/**
 * Reads and checks the connection limits of {@link DynamoStreamConfig.Delivery} while the configuration is mapped, so
 * that a value out of range stops the startup with one line naming the setting, the allowed range and the value
 * given, instead of a pool that cannot be built or a service that never delivers. Stateless, thread-safe.
 */
public final class ConnectionLimits {

    /** Upper bound of {@code max-connections-per-subscription}. */
    public static final int MAX_PER_SUBSCRIPTION = 1024;

    /** Upper bound of {@code max-connections-per-host} and of the pool size derived when it is not set. */
    public static final int MAX_PER_HOST = 65_536;

    private ConnectionLimits() {
    }

    static int parse(String setting, String value, int max) {
        String v = value == null ? "" : value.strip();
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(setting + " must be a whole number from 1 to " + max + ", not \"" + v
                    + "\"");
        }
        if (n < 1 || n > max) {
            throw new IllegalArgumentException(setting + " must be from 1 to " + max + ", not " + n);
        }
        return n;
    }

    /** {@code dynamo-stream.delivery.max-connections-per-subscription}: 1 to {@value #MAX_PER_SUBSCRIPTION}. */
    public static final class PerSubscription implements Converter<Integer> {
        @Override
        public Integer convert(String value) {
            return parse("dynamo-stream.delivery.max-connections-per-subscription", value, MAX_PER_SUBSCRIPTION);
        }
    }

    /** {@code dynamo-stream.delivery.max-connections-per-host}: 1 to {@value #MAX_PER_HOST}. */
    public static final class PerHost implements Converter<Integer> {
        @Override
        public Integer convert(String value) {
            return parse("dynamo-stream.delivery.max-connections-per-host", value, MAX_PER_HOST);
        }
    }
}

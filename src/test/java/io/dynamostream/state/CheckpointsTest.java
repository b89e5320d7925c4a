package io.dynamostream.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The padded form the DynamoDB store's conditional write compares as strings ({@code cp < :cp}) must order exactly as
 * the numbers do.
 */
class CheckpointsTest {

    @Test
    void givenRandomSequenceNumbersOfAnyLength_whenPadded_thenStringOrderIsNumberOrder() {
        Random random = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            BigInteger a = randomNumber(random);
            BigInteger b = random.nextInt(10) == 0 ? a : randomNumber(random);

            String pa = Checkpoints.padded(a.toString());
            String pb = Checkpoints.padded(b.toString());

            assertEquals(Checkpoints.WIDTH, pa.length());
            assertEquals(Integer.signum(a.compareTo(b)), Integer.signum(pa.compareTo(pb)), a + " vs " + b);
        }
    }

    @Test
    void givenLeadingZeros_whenPadded_thenTheSameNumberGivesTheSameString() {
        assertEquals(Checkpoints.padded("7"), Checkpoints.padded("007"));
        assertEquals("0".repeat(46) + "99", Checkpoints.padded("99"));
    }

    private static BigInteger randomNumber(Random random) {
        // 1 to 48 digits, most of them in DynamoDB's 21 to 40
        int digits = random.nextBoolean() ? 21 + random.nextInt(20) : 1 + random.nextInt(48);
        StringBuilder s = new StringBuilder().append(1 + random.nextInt(9));
        for (int d = 1; d < digits; d++) {
            s.append(random.nextInt(10));
        }
        return new BigInteger(s.toString());
    }
}

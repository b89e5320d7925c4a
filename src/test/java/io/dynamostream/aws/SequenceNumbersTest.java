package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SequenceNumbersTest {

    @ParameterizedTest(name = "{0} < {1}")
    @CsvSource({
            "9, 10",
            "99, 100",
            "99999999999999999999, 100000000000000000000",
            "000000000000000000009, 10",
            "49600000000000000000000000000000000000000000000000, 49600000000000000000000000000000000000000000000001",
            "4960000000000000000000001, 10000000000000000000000000"
    })
    void givenSmallerNumberOfAnyLength_whenCompared_thenOrderedNumerically(String smaller, String larger) {
        assertTrue(SequenceNumbers.ORDER.compare(smaller, larger) < 0);
        assertTrue(SequenceNumbers.ORDER.compare(larger, smaller) > 0);
        assertTrue(SequenceNumbers.isAfter(larger, smaller));
        assertFalse(SequenceNumbers.isAfter(smaller, larger));
    }

    @Test
    void givenNumbersOfDifferentLength_whenCompared_thenOrderDiffersFromStringOrder() {
        String twentyDigits = "99999999999999999999";
        String twentyOneDigits = "100000000000000000000";

        assertTrue(twentyDigits.compareTo(twentyOneDigits) > 0, "string order puts the longer one first");
        assertTrue(SequenceNumbers.ORDER.compare(twentyDigits, twentyOneDigits) < 0);
        assertTrue(SequenceNumbers.isAfter(twentyOneDigits, twentyDigits));
        assertTrue("9".compareTo("10") > 0);
        assertTrue(SequenceNumbers.ORDER.compare("9", "10") < 0);
    }

    @Test
    void givenEqualValues_whenCompared_thenEqualAndNeitherIsAfter() {
        String n = "300000000000000000001234567";

        assertEquals(0, SequenceNumbers.ORDER.compare(n, new String(n)));
        assertFalse(SequenceNumbers.isAfter(n, n));
        assertEquals(0, SequenceNumbers.ORDER.compare("10", "010"), "leading zeros do not change the value");
        assertFalse(SequenceNumbers.isAfter("10", "010"));
    }

    @Test
    void givenDecimalString_whenParsed_thenExactValue() {
        assertEquals(new BigInteger("100000000000000000000"), SequenceNumbers.parse("100000000000000000000"));
        assertEquals(BigInteger.valueOf(9), SequenceNumbers.parse("9"));
    }

    @Test
    void givenShuffledNumbersOfVaryingLength_whenSorted_thenNumericOrder() {
        List<BigInteger> values = new ArrayList<>();
        Random rnd = new Random(42);
        for (int i = 0; i < 300; i++) {
            values.add(new BigInteger(1 + rnd.nextInt(160), rnd));
        }
        values.addAll(List.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.TEN, BigInteger.valueOf(9),
                new BigInteger("99999999999999999999"), new BigInteger("100000000000000000000")));
        List<String> shuffled = new ArrayList<>(values.stream().map(BigInteger::toString).toList());
        Collections.shuffle(shuffled, new Random(7));

        shuffled.sort(SequenceNumbers.ORDER);

        List<String> expected = values.stream().sorted().map(BigInteger::toString).toList();
        assertEquals(expected, shuffled);
        assertTrue(shuffled.indexOf("9") < shuffled.indexOf("10"));
        List<String> stringSorted = new ArrayList<>(shuffled);
        stringSorted.sort(Comparator.naturalOrder());
        assertFalse(stringSorted.equals(shuffled), "string order would differ");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"", "   ", "abc", "12a", "1.5", "1e10", "0x1F", "12 34"})
    void givenNotADecimalInteger_whenParsedOrCompared_thenNumberFormatException(String invalid) {
        assertThrows(NumberFormatException.class, () -> SequenceNumbers.parse(invalid));
        assertThrows(NumberFormatException.class, () -> SequenceNumbers.isAfter(invalid, "1"));
        assertThrows(NumberFormatException.class, () -> SequenceNumbers.isAfter("1", invalid));
        assertThrows(NumberFormatException.class, () -> SequenceNumbers.ORDER.compare(invalid, "1"));
    }
}

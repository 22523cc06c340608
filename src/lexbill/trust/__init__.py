"""Trust (IOLTA) accounting: client money held in trust, under rules that can't be broken."""

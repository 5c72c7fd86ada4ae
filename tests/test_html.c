/* STUB: replaced by the html module's tests. */
#include "check.h"
int main(void) { return check_exit(); }

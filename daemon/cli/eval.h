/* eval.h - `sockward eval`: judge one request offline and print the
 * decision as JSON.  Exit 0 allow, 1 deny, 2 usage or configuration error. */
#ifndef SOCKWARD_EVAL_H
#define SOCKWARD_EVAL_H

int cmd_eval(int argc, char **argv);   /* argv[0] == "eval" */

#endif

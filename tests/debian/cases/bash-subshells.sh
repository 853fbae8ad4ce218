# Subshells: isolation of variables, cwd and exit status; nesting;
# BASH_SUBSHELL; exit inside a subshell; umask inheritance.
x=outer
( x=inner; cd /usr/bin; echo "in: $x $PWD $BASH_SUBSHELL" )
echo "out: $x $PWD $BASH_SUBSHELL"
( exit 7 ); echo "status=$?"
( ( ( echo "depth $BASH_SUBSHELL" ) ) )
( umask 027; umask ); umask
( set -e; false; echo not-reached ); echo "set-e subshell=$?"
{ echo group; x=changed-in-group; }; echo "x=$x"
f() ( echo "function subshell $BASH_SUBSHELL"; exit 3 ); f; echo "f=$?"
echo "$(echo a; (echo b; (echo c)))" | tr '\n' ,; echo
